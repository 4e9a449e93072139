// The running proxy: every pool with its listener, and the stats port.
import type { Config } from '../config/types.js';
import { Pool } from './pool.js';
import { Listener } from './listener.js';
import { RedisHandler } from './redis-handler.js';
import { MemcacheHandler } from './memcache-handler.js';
import { StatsSnapshot } from '../stats/report.js';
import { StatsServer } from '../stats/stats-server.js';
import { logNotice } from '../log/logger.js';

export interface ProxyOptions {
  version: string;
  statsAddr: string;
  statsPort: number;
  statsInterval: number;
}

/** How long a shutdown waits for requests already sent to servers to be answered. */
const SHUTDOWN_GRACE_MS = 5000;
const SHUTDOWN_POLL_MS = 20;

export class Proxy {
  private readonly pools: Pool[];
  private readonly listeners: Listener[];
  private readonly snapshot: StatsSnapshot;
  private readonly statsServer: StatsServer;
  private statsTimer: NodeJS.Timeout | null = null;

  constructor(config: Config, private readonly options: ProxyOptions) {
    const startedAt = Date.now();
    this.pools = config.pools.map((poolConfig) => new Pool(poolConfig));
    this.listeners = this.pools.map((pool) => {
      const info = { version: options.version, startedAt, clientCount: () => pool.stats.client_connections };
      return new Listener(pool, pool.config.protocol === 'memcache' ? new MemcacheHandler(pool) : new RedisHandler(pool, info));
    });
    this.snapshot = new StatsSnapshot(options.version, startedAt);
    this.statsServer = new StatsServer(this.snapshot);
  }

  /** Binds every listener and the stats port; rejects (after closing what opened) when one fails. */
  async start(): Promise<void> {
    try {
      for (const listener of this.listeners) await listener.listen();
      await this.statsServer.listen(this.options.statsAddr, this.options.statsPort);
    } catch (err) {
      await this.stop(0);
      throw err;
    }
    for (const pool of this.pools) {
      if (pool.config.preconnect) pool.preconnect();
      logNotice(`pool '${pool.name}' listening on ${pool.config.listen.text} with ${pool.servers.length} server${pool.servers.length === 1 ? '' : 's'}`);
    }
    this.snapshot.take(this.pools);
    this.statsTimer = setInterval(() => this.snapshot.take(this.pools), this.options.statsInterval);
  }

  /**
   * Graceful stop: no new clients, requests already forwarded get their replies (up to `graceMs`),
   * then every connection is closed.
   */
  async stop(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.statsServer.close();
    for (const listener of this.listeners) listener.close();
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && this.inflightCount() > 0) {
      await new Promise((resolve) => setTimeout(resolve, SHUTDOWN_POLL_MS));
    }
    await new Promise((resolve) => setImmediate(resolve));
    for (const listener of this.listeners) for (const client of listener.clients) client.close();
    for (const pool of this.pools) pool.close();
  }

  private inflightCount(): number {
    let count = 0;
    for (const pool of this.pools) for (const server of pool.servers) count += server.inflightCount;
    return count;
  }
}
