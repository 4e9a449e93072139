// A pool at run time: its logical servers, the key -> server mapping (hash, hash_tag,
// distribution) and twemproxy's auto-ejection of failing servers.
import type { PoolConfig } from '../config/types.js';
import { Server, type ServerEvents } from '../backend/server.js';
import { createConnector } from '../backend/connector.js';
import { hashFunction, type HashFn } from '../hash/index.js';
import { hashKey, parseHashTag, type HashTag } from '../hash/hash-tag.js';
import { buildDispatcher, type Dispatcher } from '../distribution/index.js';
import { PoolStats } from '../stats/counters.js';
import { logNotice } from '../log/logger.js';
import { NodeResolver } from '../discovery/node-resolver.js';
import { NegativeCache } from '../discovery/negative-cache.js';
import { SYSTEM_CLOCK, SYSTEM_TIMERS } from '../util/clock.js';

export class Pool implements ServerEvents {
  readonly stats = new PoolStats();
  readonly servers: Server[];
  private readonly hash: HashFn;
  private readonly hashTag: HashTag | null;
  private dispatcher: Dispatcher;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Looks up the servers' host names: `dns_servers`, failures remembered for `dns_cache_negative_ttl`. */
  private readonly resolver: NodeResolver;

  constructor(readonly config: PoolConfig) {
    this.resolver = new NodeResolver({ dnsServers: config.discovery.dnsServers });
    const discovery = {
      resolver: new NegativeCache(this.resolver, config.discovery.negativeTtlSeconds * 1000, SYSTEM_CLOCK),
      clock: SYSTEM_CLOCK,
      timers: SYSTEM_TIMERS,
    };
    const connector = createConnector(config.tls);
    this.servers = config.servers.map((server) => new Server(server, config, this.stats, this, connector, discovery));
    this.hash = hashFunction(config.hash);
    this.hashTag = parseHashTag(config.hashTag);
    this.dispatcher = buildDispatcher(config.distribution, config.servers, this.servers.map(() => true));
  }

  get name(): string {
    return this.config.name;
  }

  /** The server that owns the key buf[start, end). */
  serverForKey(buf: Buffer, start: number, end: number): Server {
    const hash = hashKey(this.hash, this.hashTag, buf, start, end);
    return this.servers[this.dispatcher.serverFor(hash)]!;
  }

  /** Index of the server that owns the key, for grouping the keys of a split request. */
  serverIndexForKey(buf: Buffer, start: number, end: number): number {
    return this.dispatcher.serverFor(hashKey(this.hash, this.hashTag, buf, start, end));
  }

  /** The first server after `index` that is not ejected, or -1 (a walk over every server, as SCAN does). */
  nextLiveServer(index: number): number {
    const now = Date.now();
    for (let next = index + 1; next < this.servers.length; next++) if (this.servers[next]!.ejectedUntil <= now) return next;
    return -1;
  }

  /**
   * Starts following the servers' host names; settles once each has addresses or its first
   * lookup failed (such a server answers its requests with an error until its name resolves).
   */
  startDiscovery(): Promise<void> {
    for (const server of this.servers) server.startDiscovery();
    return Promise.all(this.servers.map((server) => server.firstLookup)).then(() => undefined);
  }

  preconnect(): void {
    for (const server of this.servers) server.openAll();
  }

  close(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    for (const server of this.servers) server.closeAll();
    this.resolver.cancel();
  }

  /** twemproxy's server_failure: after server_failure_limit failures in a row, eject for server_retry_timeout. */
  serverFailed(server: Server): void {
    if (!this.config.autoEjectHosts) return;
    if (++server.failureCount < this.config.serverFailureLimit) return;
    const now = Date.now();
    server.failureCount = 0;
    server.ejectedUntil = now + this.config.serverRetryTimeout;
    server.stats.server_ejected_at = now * 1000;
    this.stats.server_ejects++;
    logNotice(`ejecting server '${server.name}' of pool '${this.name}' for ${this.config.serverRetryTimeout} ms ` +
      `after ${this.config.serverFailureLimit} failures`);
    this.rebuild();
  }

  /**
   * Rebuilds the mapping from the servers that are not ejected. As in twemproxy, when every
   * server is ejected the previous mapping stays, so requests still reach a server and fail there.
   */
  private rebuild(): void {
    const now = Date.now();
    const live = this.servers.map((server) => server.ejectedUntil <= now);
    if (live.some(Boolean)) this.dispatcher = buildDispatcher(this.config.distribution, this.config.servers, live);
    this.scheduleRetry(now);
  }

  private scheduleRetry(now: number): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const pending = this.servers.filter((server) => server.ejectedUntil > now).map((server) => server.ejectedUntil);
    if (pending.length === 0) return;
    this.retryTimer = setTimeout(() => this.rebuild(), Math.min(...pending) - now + 1);
    this.retryTimer.unref();
  }
}
