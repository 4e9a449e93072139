// The running proxy: every pool with its listener, and the stats port.
import type { Config } from '../config/types.js';
import { Pool } from './pool.js';
import { Listener } from './listener.js';
import type { ClientConnection } from './client-connection.js';
import { RedisHandler } from './redis-handler.js';
import { MemcacheHandler } from './memcache-handler.js';
import { StatsSnapshot, takeStats, type StatsData } from '../stats/report.js';
import { StatsServer } from '../stats/stats-server.js';
import { logNotice } from '../log/logger.js';

export interface ProxyOptions {
  version: string;
  statsAddr: string;
  statsPort: number;
  statsInterval: number;
  /**
   * In a worker process: where its counters go at each stats interval (the master serves the
   * stats port). Without it, this process serves the stats port itself.
   */
  publishStats?: (data: StatsData) => void;
}

/** How long a shutdown waits for the replies to the requests already read. */
const SHUTDOWN_GRACE_MS = 5000;
/** How long, at most, closed clients get to close their side, so that their last replies are not reset. */
const SHUTDOWN_LINGER_MS = 500;
const SHUTDOWN_POLL_MS = 20;

export class Proxy {
  private readonly pools: Pool[];
  private readonly listeners: Listener[];
  private readonly snapshot: StatsSnapshot;
  private readonly statsServer: StatsServer | null;
  private statsTimer: NodeJS.Timeout | null = null;

  constructor(config: Config, private readonly options: ProxyOptions) {
    const startedAt = Date.now();
    this.pools = config.pools.map((poolConfig) => new Pool(poolConfig));
    this.listeners = this.pools.map((pool) => {
      const info = { version: options.version, startedAt, clientCount: () => pool.stats.client_connections };
      return new Listener(pool, () => (pool.config.protocol === 'memcache' ? new MemcacheHandler(pool) : new RedisHandler(pool, info)));
    });
    this.snapshot = new StatsSnapshot(options.version, startedAt);
    this.statsServer = options.publishStats === undefined ? new StatsServer(this.snapshot) : null;
  }

  /** Binds every listener and the stats port; rejects (after closing what opened) when one fails. */
  async start(): Promise<void> {
    try {
      for (const listener of this.listeners) await listener.listen();
      await this.statsServer?.listen(this.options.statsAddr, this.options.statsPort);
    } catch (err) {
      await this.stop(0);
      throw err;
    }
    for (const pool of this.pools) {
      if (pool.config.preconnect) pool.preconnect();
      logNotice(`pool '${pool.name}' listening on ${pool.config.listen.text} with ${pool.servers.length} server${pool.servers.length === 1 ? '' : 's'}`);
    }
    this.takeStats();
    this.statsTimer = setInterval(() => this.takeStats(), this.options.statsInterval);
  }

  /**
   * Graceful stop: no new clients and no new requests; the requests already read get their
   * replies (up to `graceMs`), then every connection is closed.
   */
  async stop(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.statsServer?.close();
    for (const listener of this.listeners) listener.close();
    for (const client of this.clients()) client.drain();
    const deadline = Date.now() + graceMs;
    await waitUntil(deadline, () => this.clients().every((client) => client.drained));
    for (const client of this.clients()) client.close();
    for (const pool of this.pools) pool.close();
    await waitUntil(Math.min(deadline, Date.now() + SHUTDOWN_LINGER_MS), () => this.clients().length === 0);
  }

  private takeStats(): void {
    if (this.options.publishStats === undefined) this.snapshot.take(this.pools);
    else this.options.publishStats(takeStats(this.pools));
  }

  private clients(): ClientConnection[] {
    return this.listeners.flatMap((listener) => [...listener.clients]);
  }
}

/** Polls `done` until it is true or `deadline` (a Date.now() time) has passed. */
async function waitUntil(deadline: number, done: () => boolean): Promise<void> {
  while (Date.now() < deadline && !done()) await new Promise((resolve) => setTimeout(resolve, SHUTDOWN_POLL_MS));
}
