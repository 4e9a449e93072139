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
import { compareWithBaselines, comparisonTable, memoryTable, rate, throughputTable } from './report.js';
import type { ScenarioResults } from './results.js';
import { runScenario, type RunSettings } from './runner.js';
import { SCENARIOS, selectScenarios, type Scenario } from './scenarios.js';
import type { ProxyCommand } from './topology.js';

interface Failure {
  scenario: string;
  error: string;
}

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
  if (options.help) return void process.stdout.write(USAGE), 0;
  if (options.list) return void process.stdout.write(listing()), 0;

  const proxies = proxyCommands();
  const redisBenchmark = execFileSync('redis-benchmark', ['--version'], { encoding: 'utf8' }).trim();
  const settings: RunSettings = {
    requests: options.requests,
    repeat: options.repeat,
    leakMs: options.leakMinutes * 60000,
    fileLimit: raiseFileLimit().soft,
  };
  const workDir = mkdtempSync(join(tmpdir(), 'nutcracker-bench-'));
  stopEverythingOnSignals(workDir);
  process.stderr.write(`${redisBenchmark}; reference: ${process.env.NUTCRACKER_REF ?? 'none (set NUTCRACKER_REF=/path/to/nutcracker to compare)'}\n`);

  const results: ScenarioResults = { throughput: [], memory: [] };
  const failures: Failure[] = [];
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
        failures.push({ scenario: scenario.name, error: (err as Error).message });
        process.stderr.write(`    failed: ${(err as Error).message}\n`);
      }
    }
  } finally {
    await stopAll();
    rmSync(workDir, { recursive: true, force: true });
  }

  const rated = rate(results.throughput);
  const comparisons = compareWithBaselines(scenarios, results.throughput);
  const sections = [
    rated.length > 0 ? throughputTable(rated) : '',
    comparisons.length > 0 ? comparisonTable(comparisons) : '',
    results.memory.length > 0 ? memoryTable(results.memory) : '',
    ...failures.map((failure) => `FAILED ${failure.scenario}: ${failure.error}`),
  ];
  process.stdout.write(`\n${sections.filter((section) => section !== '').join('\n\n')}\n`);
  if (options.json !== null) {
    const document = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', node: process.version, redisBenchmark },
      reference: process.env.NUTCRACKER_REF ?? null,
      options,
      throughput: rated,
      comparisons,
      memory: results.memory,
      failures,
    };
    writeFileSync(options.json, `${JSON.stringify(document, null, 2)}\n`);
    process.stderr.write(`results written to ${options.json}\n`);
  }
  return failures.length === 0 ? 0 : 1;
}

function listing(): string {
  const width = Math.max(...SCENARIOS.map((scenario) => scenario.name.length));
  return SCENARIOS.map((scenario) => `${scenario.name.padEnd(width)}  ${scenario.description}\n`).join('');
}

/** This proxy, run as a user would (the built CLI), and the reference binary when NUTCRACKER_REF names one. */
function proxyCommands(): ProxyCommand[] {
  const nutcracker: ProxyCommand = { name: 'nutcracker', command: [process.execPath, NUTCRACKER_MAIN] };
  const reference = process.env.NUTCRACKER_REF;
  if (reference === undefined || reference === '') return [nutcracker];
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
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  await stopAll();
  process.exitCode = 1;
});
