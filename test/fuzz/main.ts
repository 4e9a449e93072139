// `npm run fuzz -- [--seconds N] [--seed N] [--run requests|replies|all] [--case N]`: the long
// fuzz runs. Prints the seed first, so that any run can be replayed; exits 1 on any finding.
import { parseArgs } from 'node:util';
import type { Findings } from './findings.js';
import { randomSeed } from './prng.js';
import { respReplyRun, respRequestRun } from './runs.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    run: { type: 'string', default: 'all' },
    case: { type: 'string' },
  },
});

function integerOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`fuzz: --${name} must be a non-negative integer, got '${text}'`);
    process.exit(2);
  }
  return value;
}

const seconds = integerOption('seconds', values.seconds)!;
const seed = integerOption('seed', values.seed) ?? randomSeed();
const onlyCase = integerOption('case', values.case);
if (!['requests', 'replies', 'all'].includes(values.run!)) {
  console.error(`fuzz: --run must be requests, replies or all, got '${values.run}'`);
  process.exit(2);
}
const runs = values.run === 'all' ? ['requests', 'replies'] : [values.run!];
const durationMs = (seconds * 1000) / runs.length;
console.log(`fuzz: seed ${seed}, ${seconds} s (${runs.join(' and ')})`);

let failed = false;
for (const run of runs) {
  const findings: Findings = run === 'requests'
    ? await respRequestRun({ seed, durationMs, count: Infinity, onlyCase })
    : await respReplyRun({ seed, durationMs, count: Infinity });
  const replay = `npm run fuzz -- --seed ${seed} --run ${run} --seconds ${seconds}${run === 'requests' ? ' [--case N]' : ''}`;
  console.log(findings.summary(`resp ${run}`, seed, replay));
  if (findings.total > 0) failed = true;
}
process.exit(failed ? 1 : 0);
