// `npm run bench`: runs the selected scenarios against redis-server directly, this proxy, and the
// nutcracker binary named by NUTCRACKER_REF; prints the tables and optionally writes them as JSON.
// A benchmark, not a test: it asserts nothing about speed.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NUTCRACKER_MAIN } from '../test/helpers/nutcracker.js';
import { raiseFileLimit } from './file-limit.js';
import { parseBenchOptions, USAGE, type BenchOptions } from './options.js';
import { stopAll } from './processes.js';
import { renderReport, reportDocument } from './report.js';
import type { RunResults } from './results.js';
import { runScenario, type RunSettings } from './runner.js';
import { SCENARIOS, selectScenarios, type Scenario } from './scenarios.js';
import type { ProxyCommand } from './topology.js';

async function main(): Promise<number> {
  let options: BenchOptions;
  let scenarios: Scenario[];
  try {
    options = parseBenchOptions(process.argv.slice(2));
    scenarios = selectScenarios(options.scenarios);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help || options.list) {
    process.stdout.write(options.help ? USAGE : listing());
    return 0;
  }
  const reference = process.env.NUTCRACKER_REF || null;
  const proxies = proxyCommands(reference);
  const redisBenchmark = execFileSync('redis-benchmark', ['--version'], { encoding: 'utf8' }).trim();
  const settings: RunSettings = {
    requests: options.requests,
    repeat: options.repeat,
    leakMs: options.leakMinutes * 60000,
    fileLimit: raiseFileLimit().soft,
  };
  process.stderr.write(`${redisBenchmark}; reference: ${reference ?? 'none (set NUTCRACKER_REF=/path/to/nutcracker to compare)'}\n`);

  const results = await runAll(scenarios, proxies, settings);
  process.stdout.write(`\n${renderReport(scenarios, results)}\n`);
  if (options.json !== null) {
    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', node: process.version, redisBenchmark };
    const document = reportDocument(scenarios, results, { date: new Date().toISOString(), machine, reference, options });
    writeFileSync(options.json, `${JSON.stringify(document, null, 2)}\n`);
    process.stderr.write(`results written to ${options.json}\n`);
  }
  return results.failures.length === 0 ? 0 : 1;
}

/** Each scenario in turn, in a work directory of its own (configs, proxy logs), removed at the end. */
async function runAll(scenarios: readonly Scenario[], proxies: readonly ProxyCommand[], settings: RunSettings): Promise<RunResults> {
  const workDir = mkdtempSync(join(tmpdir(), 'nutcracker-bench-'));
  stopEverythingOnSignals(workDir);
  const results: RunResults = { throughput: [], memory: [], failures: [] };
  try {
    for (const [index, scenario] of scenarios.entries()) {
      process.stderr.write(`[${index + 1}/${scenarios.length}] ${scenario.name}: ${scenario.description}\n`);
      const started = Date.now();
      const dir = join(workDir, scenario.name);
      mkdirSync(dir);
      try {
        const { throughput, memory } = await runScenario(scenario, proxies, settings, dir);
        results.throughput.push(...throughput);
        results.memory.push(...memory);
        process.stderr.write(`    done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
      } catch (err) {
        results.failures.push({ scenario: scenario.name, error: (err as Error).message });
        process.stderr.write(`    failed: ${(err as Error).message}\n`);
      }
    }
    return results;
  } finally {
    await stopAll();
    rmSync(workDir, { recursive: true, force: true });
  }
}

function listing(): string {
  const width = Math.max(...SCENARIOS.map((scenario) => scenario.name.length));
  return SCENARIOS.map((scenario) => `${scenario.name.padEnd(width)}  x${scenario.repeat}  ${scenario.description}\n`).join('');
}

/** This proxy, run as a user would (the built CLI), and the reference binary when NUTCRACKER_REF names one. */
function proxyCommands(reference: string | null): ProxyCommand[] {
  // Started through its shebang (and the Node.js flags on it), as the installed command is.
  const nutcracker: ProxyCommand = { name: 'nutcracker', command: [NUTCRACKER_MAIN] };
  if (reference === null) return [nutcracker];
  try {
    accessSync(reference, constants.X_OK);
  } catch {
    throw new Error(`NUTCRACKER_REF=${reference} is not an executable file`);
  }
  return [nutcracker, { name: 'reference', command: [reference] }];
}

/** Ctrl-C (or a kill) stops every process started and removes the work directory before exiting. */
function stopEverythingOnSignals(workDir: string): void {
  const stop = (signal: NodeJS.Signals, code: number) => {
    process.stderr.write(`\n${signal}: stopping everything the benchmark started\n`);
    void stopAll().finally(() => {
      rmSync(workDir, { recursive: true, force: true });
      process.exit(code);
    });
  };
  process.once('SIGINT', () => stop('SIGINT', 130));
  process.once('SIGTERM', () => stop('SIGTERM', 143));
}

main().then((code) => (process.exitCode = code), async (err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  await stopAll();
  process.exitCode = 1;
});
