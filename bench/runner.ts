// Runs one scenario: starts its topology, measures what its entry asks for, stops everything.
import { loadavg } from 'node:os';
import { sleep } from '../test/helpers/ports.js';
import { closeIdleClients, openIdleClients } from './idle-clients.js';
import { readRssMb, sampleRssDuring, type RssSample } from './memory.js';
import { stopChild } from './processes.js';
import { runBenchmark, startLoop, type BenchmarkFigures, type Load } from './redis-benchmark.js';
import { runMemcacheLoad, type MemcacheLoad } from './memcache-load.js';
import type { MemoryRow, ScenarioResults, ThroughputRow } from './results.js';
import type { Scenario } from './scenarios.js';
import { median, slope } from './statistics.js';
import { startTopology, targetsOf, withVariants, type ProxyCommand, type ProxyTarget, type Target, type TargetName, type Topology } from './topology.js';

export interface RunSettings {
  /** Replaces every measured load's request count when set (--requests). */
  requests: number | null;
  /** Replaces every throughput scenario's repeat count when set (--repeat). */
  repeat: number | null;
  leakMs: number;
  /** Open-file soft limit: idle connections beyond it cannot be opened. */
  fileLimit: number;
}

/** One redis-benchmark run may take this long before it is stopped and the scenario fails. */
const RUN_TIMEOUT_MS = 120000;
/** Descriptors kept free for everything but the idle connections. */
const FD_MARGIN = 256;
const SETTLE_MS = 1000;
const PEAK_SAMPLE_MS = 200;
const LEAK_SAMPLE_MS = 2000;
/** An unmeasured warm-up pass before throughput runs: this share of the load's requests, at least the minimum. */
const WARMUP_SHARE = 0.2;
const MIN_WARMUP_REQUESTS = 30000;
/** The leak slope ignores this first share of the run, where heaps and buffers grow to their working size. */
const LEAK_WARMUP_SHARE = 0.2;

export async function runScenario(scenario: Scenario, proxies: readonly ProxyCommand[], settings: RunSettings, dir: string): Promise<ScenarioResults> {
  const { measure } = scenario;
  const variants = measure.kind === 'throughput' ? measure.variants : undefined;
  const topology = await startTopology(scenario.pool, variants === undefined ? proxies : withVariants(proxies, variants), dir);
  try {
    switch (measure.kind) {
      case 'throughput': {
        if (measure.prefill !== undefined) await runLoad(topology.proxies[0]!.port, measure.prefill);
        const repeat = settings.repeat ?? scenario.repeat;
        return { throughput: await measureThroughput(scenario.name, topology, withRequests(measure.load, settings), repeat), memory: [] };
      }
      case 'idle-memory':
        return { throughput: [], memory: await measureIdleMemory(scenario.name, topology.proxies, measure.connections, settings.fileLimit) };
      case 'load-memory':
        return await measureLoadMemory(scenario.name, topology.proxies, withRequests(measure.load, settings));
      case 'leak':
        return { throughput: [], memory: await measureLeak(scenario.name, topology.proxies, measure.load, settings.leakMs) };
    }
  } finally {
    await topology.stop();
  }
}

function withRequests<L extends Load | MemcacheLoad>(load: L, settings: RunSettings): L {
  return settings.requests === null ? load : { ...load, requests: settings.requests };
}

/** A throughput load: redis-benchmark, or the bench's own memcached generator. */
function runLoad(port: number, load: Load | MemcacheLoad): Promise<BenchmarkFigures[]> {
  return 'generator' in load ? runMemcacheLoad(port, load, RUN_TIMEOUT_MS) : runBenchmark(port, load, RUN_TIMEOUT_MS);
}

/** One run's figures for one test, with the machine's 1-minute load average as the run started. */
interface Measured extends BenchmarkFigures {
  loadAverage: number;
}

/** Figures of every run so far, by test and then target, in the order they first appeared. */
type Runs = Map<string, Map<TargetName, Measured[]>>;

/**
 * Every target in turn, `repeat` times over (so that drift hits all alike); medians, min and max
 * per test and target. Each target first gets an unmeasured warm-up pass of the same load, so a freshly started
 * proxy is measured warm (a JIT runtime's first seconds are not what a long-running proxy does).
 */
async function measureThroughput(scenario: string, topology: Topology, load: Load | MemcacheLoad, repeat: number): Promise<ThroughputRow[]> {
  const warmUp = { ...load, requests: Math.max(MIN_WARMUP_REQUESTS, Math.round(load.requests * WARMUP_SHARE)) };
  for (const target of targetsOf(topology)) await runLoad(target.port, warmUp);
  const runs: Runs = new Map();
  for (let i = 0; i < repeat; i++) {
    for (const target of turnOrder(targetsOf(topology), i)) {
      const loadAverage = oneMinuteLoad();
      const figures = await runLoad(target.port, load);
      record(runs, target.name, figures, loadAverage);
      reportRun(i + 1, repeat, target.name, figures, loadAverage);
    }
  }
  return medianRows(scenario, runs);
}

/**
 * The targets rotated by one each round (A B C, B C A, C A B, ...): each runs first, and after
 * each of the others, equally often, and never twice in a row.
 */
function turnOrder(targets: readonly Target[], round: number): Target[] {
  return targets.map((_, k) => targets[(k + round) % targets.length]!);
}

function oneMinuteLoad(): number {
  return loadavg()[0]!;
}

/** Each run on stderr as it ends, so that a run disturbed by other work on the machine shows. */
function reportRun(run: number, repeat: number, target: TargetName, figures: readonly BenchmarkFigures[], loadAverage: number): void {
  const ops = figures.map((figure) => `${figure.test} ${figure.opsPerSec.toFixed(0)}`).join(', ');
  process.stderr.write(`    run ${run}/${repeat} ${target}: ${ops} ops/s (load average ${loadAverage.toFixed(2)})\n`);
}

function record(runs: Runs, target: TargetName, figures: readonly BenchmarkFigures[], loadAverage: number): void {
  for (const figure of figures) {
    const byTarget = runs.get(figure.test) ?? new Map<TargetName, Measured[]>();
    runs.set(figure.test, byTarget.set(target, [...byTarget.get(target) ?? [], { ...figure, loadAverage }]));
  }
}

function medianRows(scenario: string, runs: Runs): ThroughputRow[] {
  return [...runs].flatMap(([test, byTarget]) => [...byTarget].map(([target, figures]) => ({
    scenario, test, target,
    opsPerSec: median(figures.map((f) => f.opsPerSec)),
    p50Ms: median(figures.map((f) => f.p50Ms)),
    p99Ms: median(figures.map((f) => f.p99Ms)),
    runs: figures.length,
    minOpsPerSec: Math.min(...figures.map((f) => f.opsPerSec)),
    maxOpsPerSec: Math.max(...figures.map((f) => f.opsPerSec)),
    each: figures.map((f) => ({ opsPerSec: f.opsPerSec, loadAverage: f.loadAverage })),
  })));
}

async function measureIdleMemory(scenario: string, proxies: readonly ProxyTarget[], wanted: number, fileLimit: number): Promise<MemoryRow[]> {
  const count = Math.min(wanted, fileLimit - FD_MARGIN);
  const limited = count < wanted ? ` (not ${wanted}: ulimit -n is ${fileLimit})` : '';
  const rows: MemoryRow[] = [];
  for (const proxy of proxies) {
    const startMb = readRssMb(proxy.pid);
    const sockets = await openIdleClients(proxy.port, count);
    await sleep(SETTLE_MS);
    const endMb = readRssMb(proxy.pid);
    closeIdleClients(sockets);
    await sleep(SETTLE_MS);
    const perConnectionKb = ((endMb - startMb) * 1024) / count;
    rows.push({
      scenario, target: proxy.name, startMb, endMb, peakMb: endMb, slopeMbPerMin: null,
      note: `${count} idle connections${limited}, ${perConnectionKb.toFixed(1)} KB each`,
    });
  }
  return rows;
}

async function measureLoadMemory(scenario: string, proxies: readonly ProxyTarget[], load: Load): Promise<ScenarioResults> {
  const runs: Runs = new Map();
  const memory: MemoryRow[] = [];
  for (const proxy of proxies) {
    const startMb = readRssMb(proxy.pid);
    const loadAverage = oneMinuteLoad();
    const { result: figures, samples } = await sampleRssDuring(proxy.pid, PEAK_SAMPLE_MS, () => runBenchmark(proxy.port, load, RUN_TIMEOUT_MS));
    const endMb = readRssMb(proxy.pid);
    const peakMb = Math.max(endMb, ...samples.map((sample) => sample.rssMb));
    memory.push({ scenario, target: proxy.name, startMb, endMb, peakMb, slopeMbPerMin: null, note: `${load.requests} requests per test, peak sampled every ${PEAK_SAMPLE_MS} ms` });
    record(runs, proxy.name, figures, loadAverage);
  }
  return { throughput: medianRows(scenario, runs), memory };
}

async function measureLeak(scenario: string, proxies: readonly ProxyTarget[], load: Load, durationMs: number): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  for (const proxy of proxies) {
    const loop = startLoop(proxy.port, load);
    try {
      const { samples } = await sampleRssDuring(proxy.pid, LEAK_SAMPLE_MS, () => sleep(durationMs));
      if (loop.exitCode !== null) throw new Error(`redis-benchmark against ${proxy.name} exited with ${loop.exitCode} before the leak check ended`);
      rows.push(leakRow(scenario, proxy, samples, durationMs));
    } finally {
      await stopChild(loop);
    }
  }
  return rows;
}

function leakRow(scenario: string, proxy: ProxyTarget, samples: readonly RssSample[], durationMs: number): MemoryRow {
  if (samples.length === 0) throw new Error(`no RSS sample of ${proxy.name} in ${durationMs} ms`);
  const steady = samples.filter((sample) => sample.atMs >= durationMs * LEAK_WARMUP_SHARE);
  const perMs = slope(steady.map((sample) => ({ x: sample.atMs, y: sample.rssMb })));
  return {
    scenario, target: proxy.name,
    startMb: samples[0]!.rssMb,
    endMb: samples[samples.length - 1]!.rssMb,
    peakMb: Math.max(...samples.map((sample) => sample.rssMb)),
    slopeMbPerMin: perMs * 60000,
    note: `${samples.length} samples over ${(durationMs / 60000).toFixed(1)} min; slope after the first ${LEAK_WARMUP_SHARE * 100}%`,
  };
}
