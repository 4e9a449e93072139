// `npm run fuzz -- [--seconds N] [--seed N] [--protocol resp|memcache|all] [--run requests|replies|all] [--case N]`:
// the long fuzz runs. Prints the seed first, so that any run can be replayed; exits 1 on any finding.
import { parseArgs } from 'node:util';
import type { Findings } from './findings.js';
import { randomSeed } from './prng.js';
import { memcacheReplyRun, memcacheRequestRun, respReplyRun, respRequestRun, type RunLimits } from './runs.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    protocol: { type: 'string', default: 'all' },
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

/** The values of a choice option: one of `choices`, or all of them for 'all'. */
function choiceOption(name: string, text: string, choices: readonly string[]): string[] {
  if (text === 'all') return [...choices];
  if (choices.includes(text)) return [text];
  console.error(`fuzz: --${name} must be ${choices.join(', ')} or all, got '${text}'`);
  process.exit(2);
}

const RUNS: Record<string, Record<string, (limits: RunLimits) => Promise<Findings>>> = {
  resp: { requests: respRequestRun, replies: respReplyRun },
  memcache: { requests: memcacheRequestRun, replies: memcacheReplyRun },
};

const seconds = integerOption('seconds', values.seconds)!;
const seed = integerOption('seed', values.seed) ?? randomSeed();
const onlyCase = integerOption('case', values.case);
const protocols = choiceOption('protocol', values.protocol!, Object.keys(RUNS));
const runs = choiceOption('run', values.run!, ['requests', 'replies']);
const durationMs = (seconds * 1000) / (protocols.length * runs.length);
console.log(`fuzz: seed ${seed}, ${seconds} s (${protocols.join(' and ')}: ${runs.join(' and ')})`);

let failed = false;
for (const protocol of protocols) {
  for (const run of runs) {
    const findings = await RUNS[protocol]![run]!({ seed, durationMs, count: Infinity, onlyCase });
    const replay = `npm run fuzz -- --seed ${seed} --protocol ${protocol} --run ${run} --seconds ${Math.ceil(durationMs / 1000)}${run === 'requests' ? ' [--case N]' : ''}`;
    console.log(findings.summary(`${protocol} ${run}`, seed, replay));
    if (findings.total > 0) failed = true;
  }
}
process.exit(failed ? 1 : 0);
