// The running proxy: every pool with its listener, and the stats port.
import type { Config, PoolConfig } from '../config/types.js';
import { Pool } from './pool.js';
import { Listener, type ClientFactory, type ServedClient } from './listener.js';
import { ClientConnection } from './client-connection.js';
import { TcpRelay } from './tcp-relay.js';
import { RedisHandler } from './redis-handler.js';
import { MemcacheHandler } from './memcache-handler.js';
import { StatsSnapshot, takeStats, type StatsData } from '../stats/report.js';
import { StatsServer } from '../stats/stats-server.js';
import { log, logNotice } from '../log/logger.js';

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
/** How long the start waits for the servers' names to resolve before it listens anyway. */
const START_LOOKUP_WAIT_MS = 5000;

/** A pool and its listener, as a reload replaces them. */
interface ServedPool {
  pool: Pool;
  listener: Listener;
}

/** What a graceful close ends: a pool, its clients, and its listener unless another pool took it over. */
interface Closing {
  pool: Pool;
  clients: () => ReadonlySet<ServedClient>;
  listener: Listener | null;
}

export class Proxy {
  private pools: Pool[];
  private listeners: Listener[];
  /** Pools a reload removed or changed, still writing the replies their clients are owed. */
  private readonly retiring = new Set<Closing>();
  private readonly startedAt = Date.now();
  private readonly snapshot: StatsSnapshot;
  private readonly statsServer: StatsServer | null;
  private statsTimer: NodeJS.Timeout | null = null;

  constructor(config: Config, private readonly options: ProxyOptions) {
    this.pools = config.pools.map((poolConfig) => new Pool(poolConfig));
    this.listeners = this.pools.map((pool) => this.newListener(pool));
    this.snapshot = new StatsSnapshot(options.version, this.startedAt);
    this.statsServer = options.publishStats === undefined ? new StatsServer(this.snapshot) : null;
  }

  /** Binds every listener and the stats port; rejects (after closing what opened) when one fails. */
  async start(): Promise<void> {
    // The first requests find the servers' addresses; a name that does not resolve does not stop
    // the start: its server answers with an error until the name resolves (twemproxy issue 355).
    await Promise.all(this.pools.map((pool) => this.lookUpServers(pool)));
    try {
      for (const listener of this.listeners) await listener.listen();
      await this.statsServer?.listen(this.options.statsAddr, this.options.statsPort);
    } catch (err) {
      await this.stop(0);
      throw err;
    }
    for (const pool of this.pools) serving(pool);
    this.takeStats();
    this.statsTimer = setInterval(() => this.takeStats(), this.options.statsInterval);
  }

  /**
   * Applies a reloaded config. A pool removed stops listening, and its clients are closed once
   * their replies are written; a pool added starts listening. A changed pool keeps its listening
   * socket when its address is the same: new clients get the new settings, and the clients of
   * the old settings are closed after their replies (they reconnect); its unchanged server
   * lines keep their connections and DNS state when the servers' settings are the same (see
   * Pool). Unchanged pools, their clients and their server connections are not touched. A pool that cannot listen is logged
   * and left out.
   */
  async reload(config: Config): Promise<void> {
    const running = new Map(this.pools.map((pool, index) => [pool.name, { pool, listener: this.listeners[index]! }]));
    const wanted = new Set(config.pools.map((poolConfig) => poolConfig.name));
    // Removed first, so that a pool added on a removed one's address can bind it.
    for (const [name, served] of running) if (!wanted.has(name)) void this.retire(closingOf(served), 'removed');
    const next: ServedPool[] = [];
    for (const poolConfig of config.pools) {
      const served = running.get(poolConfig.name);
      if (served !== undefined && samePool(served.pool.config, poolConfig)) {
        next.push(served);
      } else if (served !== undefined && sameSocket(served.pool.config, poolConfig)) {
        const pool = new Pool(poolConfig, served.pool);
        await this.lookUpServers(pool);
        const clients = served.listener.handOver(pool, this.clientFactory(pool));
        void this.retire({ pool: served.pool, clients: () => clients, listener: null }, 'changed');
        serving(pool);
        next.push({ pool, listener: served.listener });
      } else {
        if (served !== undefined) void this.retire(closingOf(served), 'changed');
        const started = await this.startPool(poolConfig, served?.pool);
        if (started !== null) next.push(started);
      }
    }
    this.pools = next.map((served) => served.pool);
    this.listeners = next.map((served) => served.listener);
    this.takeStats();
  }

  /**
   * Graceful stop: no new clients and no new requests; the requests already read get their
   * replies (up to `graceMs`), then every connection is closed.
   */
  async stop(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.statsServer?.close();
    const served = this.pools.map((pool, index) => closingOf({ pool, listener: this.listeners[index]! }));
    await closeGracefully([...served, ...this.retiring], graceMs);
  }

  private newListener(pool: Pool): Listener {
    return new Listener(pool, this.clientFactory(pool));
  }

  /** What serves each new client of `pool`: a relay for tcp, else a client connection with its own handler (its parse state). */
  private clientFactory(pool: Pool): ClientFactory {
    if (pool.config.protocol === 'tcp') return (socket, openClients) => new TcpRelay(socket, pool, openClients);
    const info = { version: this.options.version, startedAt: this.startedAt, clientCount: () => pool.stats.client_connections };
    const newHandler = () => (pool.config.protocol === 'memcache' ? new MemcacheHandler(pool) : new RedisHandler(pool, info));
    return (socket, openClients) => new ClientConnection(socket, newHandler(), pool.stats, openClients);
  }

  private async startPool(config: PoolConfig, previous?: Pool): Promise<ServedPool | null> {
    const pool = new Pool(config, previous);
    await this.lookUpServers(pool);
    const listener = this.newListener(pool);
    try {
      await listener.listen();
    } catch (err) {
      pool.close();
      log.write(`reload: ${(err as Error).message}: the pool is not served`);
      return null;
    }
    serving(pool);
    return { pool, listener };
  }

  /** Starts following the pool's server names, and waits (up to START_LOOKUP_WAIT_MS) for their first lookups. */
  private lookUpServers(pool: Pool): Promise<void> {
    return waitUntilSettled(pool.startDiscovery(), START_LOOKUP_WAIT_MS);
  }

  private async retire(closing: Closing, why: 'removed' | 'changed'): Promise<void> {
    const what = closing.listener === null ? 'its clients' : `${closing.pool.config.listen.text} and its clients`;
    logNotice(`pool '${closing.pool.name}' ${why} by the reload: closing ${what} after their replies`);
    this.retiring.add(closing);
    await closeGracefully([closing], SHUTDOWN_GRACE_MS);
    this.retiring.delete(closing);
  }

  private takeStats(): void {
    if (this.options.publishStats === undefined) this.snapshot.take(this.pools);
    else this.options.publishStats(takeStats(this.pools));
  }

}

function serving(pool: Pool): void {
  if (pool.config.preconnect) pool.preconnect();
  logNotice(`pool '${pool.name}' listening on ${pool.config.listen.text} with ${pool.servers.length} server${pool.servers.length === 1 ? '' : 's'}`);
}

/** Whether a reload leaves the pool as it runs: the same settings and servers, wherever they are in the file. */
function samePool(running: PoolConfig, reloaded: PoolConfig): boolean {
  const withoutLines = (config: PoolConfig) => JSON.stringify({ ...config, line: 0, servers: config.servers.map((server) => ({ ...server, line: 0 })) });
  return withoutLines(running) === withoutLines(reloaded);
}

/** Whether a changed pool can keep the listening socket of the running one. */
function sameSocket(running: PoolConfig, reloaded: PoolConfig): boolean {
  return running.listen.text === reloaded.listen.text && running.backlog === reloaded.backlog;
}

function closingOf({ pool, listener }: ServedPool): Closing {
  return { pool, clients: () => listener.clients, listener };
}

/**
 * No new clients and no new requests; the requests already read get their replies (up to
 * `graceMs`), then every connection of these pools is closed.
 */
async function closeGracefully(closing: readonly Closing[], graceMs: number): Promise<void> {
  const clients = (): ServedClient[] => closing.flatMap((entry) => [...entry.clients()]);
  for (const { listener } of closing) listener?.close();
  for (const client of clients()) client.drain();
  const deadline = Date.now() + graceMs;
  await waitUntil(deadline, () => clients().every((client) => client.drained));
  for (const client of clients()) client.close();
  for (const { pool } of closing) pool.close();
  await waitUntil(Math.min(deadline, Date.now() + SHUTDOWN_LINGER_MS), () => clients().length === 0);
}

/** Waits for `promise`, for at most `ms`. */
async function waitUntilSettled(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([promise, timeout]);
  clearTimeout(timer);
}

/** Polls `done` until it is true or `deadline` (a Date.now() time) has passed. */
async function waitUntil(deadline: number, done: () => boolean): Promise<void> {
  while (Date.now() < deadline && !done()) await new Promise((resolve) => setTimeout(resolve, SHUTDOWN_POLL_MS));
}
