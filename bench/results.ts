// What scenarios measure: throughput rows (one per scenario, test and target) and memory rows.
import type { ProxyName, TargetName } from './topology.js';

export interface ThroughputRow {
  scenario: string;
  /** SET, GET, or the custom command's name (MGET, MSET). */
  test: string;
  target: TargetName;
  /** Medians over `runs` runs. */
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  runs: number;
  /** The spread of ops/s over the runs. */
  minOpsPerSec: number;
  maxOpsPerSec: number;
  /** Each run's ops/s and the machine's 1-minute load average as it started, in the order run. */
  each: RunFigure[];
}

export interface RunFigure {
  opsPerSec: number;
  loadAverage: number;
}

export interface MemoryRow {
  scenario: string;
  target: ProxyName;
  /** Resident size before the connections or the load (leak check: the first sample under load). */
  startMb: number;
  /** Resident size with the connections open, right after the load, or at the last leak sample. */
  endMb: number;
  peakMb: number;
  /** Leak check only: least-squares growth after the warm-up. */
  slopeMbPerMin: number | null;
  note: string;
}

export interface ScenarioResults {
  throughput: ThroughputRow[];
  memory: MemoryRow[];
}

/** A scenario that could not be measured (a process failed to start, a run timed out, ...). */
export interface Failure {
  scenario: string;
  error: string;
}

export interface RunResults extends ScenarioResults {
  failures: Failure[];
}
