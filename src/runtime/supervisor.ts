// The master of `worker_processes: N`: forks the workers (node:cluster: the master holds the
// listening sockets and hands each new connection to the next worker in turn), restarts one that
// dies, serves the stats port with the counters summed over the workers, and stops them all.
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config/types.js';
import { log, logNotice } from '../log/logger.js';
import { StatsSnapshot, sumStats, type StatsData } from '../stats/report.js';
import { StatsServer } from '../stats/stats-server.js';
import { removeStaleSocket } from '../proxy/listener.js';
import { isOwnMessage, WORKER_SLOT_ENV, type MasterMessage, type WorkerMessage } from './messages.js';
import { readReloadedConfig } from './reload.js';

export interface SupervisorOptions {
  count: number;
  version: string;
  statsAddr: string;
  statsPort: number;
  /** The command line, so each worker starts as the master did. */
  script: string;
  args: readonly string[];
}

/** A worker that dies is restarted after this delay, doubled at each quick death up to the limit. */
const RESTART_DELAY_MS = 100;
const RESTART_DELAY_LIMIT_MS = 10000;
/** A worker that ran this long before dying was not crash-looping: its next restart is quick again. */
const STABLE_RUN_MS = 10000;
/** How long the workers get to stop gracefully (their own limit is shorter) before they are killed. */
const WORKER_STOP_LIMIT_MS = 7000;
/** The signals a worker acts on as the master does: SIGHUP (reopen the log), SIGTTIN/SIGTTOU (log level). */
export const FORWARDED_SIGNALS = ['SIGHUP', 'SIGTTIN', 'SIGTTOU'] as const;

interface Slot {
  number: number;
  worker: Worker | null;
  startedAt: number;
  restartDelay: number;
  restartTimer: NodeJS.Timeout | null;
}

export class Supervisor {
  private readonly slots: Slot[];
  private readonly stats = new Map<number, StatsData>();
  private readonly snapshot: StatsSnapshot;
  private readonly statsServer: StatsServer;
  private stopping = false;
  /** Set once every worker has started: from then on, a worker that dies is restarted. */
  private running = false;

  constructor(private config: Config, private readonly options: SupervisorOptions) {
    this.slots = Array.from({ length: options.count }, (_, index) =>
      ({ number: index + 1, worker: null, startedAt: 0, restartDelay: RESTART_DELAY_MS, restartTimer: null }));
    this.snapshot = new StatsSnapshot(options.version, Date.now());
    this.statsServer = new StatsServer(this.snapshot);
  }

  /** Binds the stats port and starts every worker; rejects (after stopping them) when one cannot start. */
  async start(): Promise<void> {
    await this.statsServer.listen(this.options.statsAddr, this.options.statsPort);
    this.removeStaleSockets();
    cluster.setupPrimary({ exec: this.options.script, args: [...this.options.args], silent: false });
    try {
      await Promise.all(this.slots.map((slot) => this.fork(slot)));
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.running = true;
    logNotice(`started ${this.slots.length} worker processes (pids ${this.slots.map((slot) => slot.worker?.process.pid).join(', ')})`);
  }

  /** SIGHUP: checks the config file, and when it is valid has every worker apply it. */
  reload(): void {
    const config = readReloadedConfig(this.config.file, this.config);
    if (config === null) return;
    const previous = this.config;
    this.config = config;
    this.removeStaleSockets(previous);
    const message: MasterMessage = { kind: 'reload' };
    for (const slot of this.slots) if (slot.worker?.isConnected()) slot.worker.send(message);
  }

  /**
   * The master binds unix sockets for the workers: a stale one must go before the first binds.
   * After a reload, only the new paths: the sockets of `previous` are in use.
   */
  private removeStaleSockets(previous?: Config): void {
    const inUse = new Set(previous?.pools.map(({ listen }) => (listen.kind === 'unix' ? listen.path : '')));
    for (const { listen } of this.config.pools) if (listen.kind === 'unix' && !inUse.has(listen.path)) removeStaleSocket(listen.path);
  }

  /** Sends `signal` to every worker. */
  forward(signal: NodeJS.Signals): void {
    for (const slot of this.slots) slot.worker?.process.kill(signal);
  }

  /** Stops every worker gracefully (SIGTERM), killing those still running after the limit. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.statsServer.close();
    const running: Promise<void>[] = [];
    for (const slot of this.slots) {
      if (slot.restartTimer !== null) clearTimeout(slot.restartTimer);
      const worker = slot.worker;
      if (worker === null || worker.isDead()) continue;
      running.push(new Promise((resolve) => worker.once('exit', () => resolve())));
      worker.process.kill('SIGTERM');
    }
    const killer = setTimeout(() => this.forward('SIGKILL'), WORKER_STOP_LIMIT_MS);
    await Promise.all(running);
    clearTimeout(killer);
  }

  /** Forks the worker of `slot`; resolves once it listens, rejects with its reason when it cannot start. */
  private fork(slot: Slot): Promise<void> {
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot.number) });
    slot.worker = worker;
    slot.startedAt = Date.now();
    return new Promise((resolve, reject) => {
      let started = false;
      worker.on('message', (message: unknown) => {
        if (!isOwnMessage<WorkerMessage>(message)) return;
        if (message.kind === 'ready') {
          started = true;
          resolve();
        } else if (message.kind === 'failed') {
          reject(new Error(message.error));
        } else {
          this.onStats(slot, message);
        }
      });
      worker.once('exit', (code, signal) => {
        this.stats.delete(slot.number);
        this.publish();
        if (!started) reject(new Error(`worker ${slot.number} exited (${signal ?? `code ${code}`}) before it was ready`));
        if (this.running) this.onDeath(slot, worker, code, signal);
      });
    });
  }

  private onStats(slot: Slot, message: Extract<WorkerMessage, { kind: 'stats' }>): void {
    this.stats.set(slot.number, message.data);
    this.publish();
  }

  private publish(): void {
    this.snapshot.update(sumStats([...this.stats.values()]));
  }

  private onDeath(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (this.stopping || slot.worker !== worker) return;
    slot.worker = null;
    if (Date.now() - slot.startedAt >= STABLE_RUN_MS) slot.restartDelay = RESTART_DELAY_MS;
    log.write(`worker ${slot.number} (pid ${worker.process.pid}) died (${signal ?? `exit code ${code}`}), ` +
      `starting a new one in ${slot.restartDelay} ms`);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (this.stopping) return;
      this.fork(slot).then(
        () => logNotice(`worker ${slot.number} restarted (pid ${slot.worker?.process.pid})`),
        (err: Error) => log.write(`worker ${slot.number} could not restart: ${err.message}`));
    }, slot.restartDelay);
    slot.restartDelay = Math.min(slot.restartDelay * 2, RESTART_DELAY_LIMIT_MS);
  }
}
