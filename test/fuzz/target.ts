// The proxy under test, as the fuzz runners see it, and a watchdog that records its crash: the
// process gone, or its stats port no longer answering.
import { readStats } from '../helpers/nutcracker.js';
import type { Findings } from './findings.js';

export interface Target {
  /** The pool's listening port. */
  readonly port: number;
  readonly statsPort: number;
  alive(): boolean;
  /** What the proxy printed (shown with a crash). */
  output(): string;
}

const STATS_TIMEOUT_MS = 3000;

function statsAnswer(port: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STATS_TIMEOUT_MS)));
  return Promise.race([readStats(port).then(() => true, () => false), timeout]).finally(() => clearTimeout(timer));
}

/** Checks the proxy every `intervalMs` until stopped; `crashed` turns true at the first failed check. */
export class Watchdog {
  crashed = false;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(private readonly target: Target, private readonly findings: Findings, intervalMs = 300) {
    this.loop = this.watch(intervalMs);
  }

  /** One last check, then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.check();
  }

  private async watch(intervalMs: number): Promise<void> {
    while (!this.stopped && !this.crashed) {
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      await this.check();
    }
  }

  private async check(): Promise<void> {
    if (this.crashed) return;
    const alive = this.target.alive();
    if (alive && (await statsAnswer(this.target.statsPort))) return;
    this.crashed = true;
    this.findings.record('crash', `${alive ? 'the stats port stopped answering' : 'the proxy process exited'}; ` +
      `its last output: ${this.target.output().slice(-600)}`);
  }
}
