// A pool at run time: its logical servers, the key -> server mapping (hash, hash_tag,
// distribution) and twemproxy's auto-ejection of failing servers.
import type { PoolConfig, ServerConfig } from '../config/types.js';
import { Server, type ServerEvents } from '../backend/server.js';
import { createConnector, type Connector } from '../backend/connector.js';
import type { DiscoveryDeps } from '../discovery/host-discovery.js';
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
  private readonly discovery: DiscoveryDeps;
  private readonly connector: Connector;
  /** Servers a reload gave to the new pool of the same name: they are its to close. */
  private readonly handedOver = new Set<Server>();

  /**
   * `previous`: the running pool of the same name, when a reload changed it. Where the servers'
   * settings are the same, each unchanged server line keeps its server (connections, addresses,
   * DNS state) instead of starting again.
   */
  constructor(readonly config: PoolConfig, previous?: Pool) {
    const from = previous !== undefined && sameServerSettings(previous.config, config) ? previous : null;
    this.resolver = from?.resolver ?? new NodeResolver({ dnsServers: config.discovery.dnsServers });
    this.discovery = from?.discovery ?? {
      resolver: new NegativeCache(this.resolver, config.discovery.negativeTtlSeconds * 1000, SYSTEM_CLOCK),
      clock: SYSTEM_CLOCK,
      timers: SYSTEM_TIMERS,
    };
    this.connector = from?.connector ?? createConnector(config.tls);
    this.servers = config.servers.map((server) =>
      from?.handOver(server, this) ?? new Server(server, config, this.stats, this, this.connector, this.discovery));
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
    for (const server of this.servers) if (!this.handedOver.has(server)) server.closeAll();
    // A server handed over still looks its name up through this resolver.
    if (this.handedOver.size === 0) this.resolver.cancel();
  }

  /** The running server of this unchanged line, now `to`'s; undefined when the line is new. */
  private handOver(line: ServerConfig, to: Pool): Server | undefined {
    const server = this.servers.find((candidate) => !this.handedOver.has(candidate) && sameLine(candidate.config, line));
    if (server === undefined) return undefined;
    this.handedOver.add(server);
    server.moveTo(to.stats, to);
    return server;
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

/**
 * Pool keys that do not reach the servers (client side, key mapping, ejection policy): a reload
 * that changes only these, or the server list, keeps the servers of unchanged lines. Any other
 * key (timeout, auth, db, TLS, DNS, ...) changes every server, which then starts again.
 */
const KEYS_BESIDE_SERVERS = new Set<keyof PoolConfig>([
  'line', 'listen', 'backlog', 'clientConnections', 'hash', 'hashTag', 'distribution', 'preconnect',
  'autoEjectHosts', 'serverRetryTimeout', 'serverFailureLimit', 'maxRequestBytes', 'servers',
]);

function sameServerSettings(running: PoolConfig, reloaded: PoolConfig): boolean {
  const serverSettings = (config: PoolConfig) =>
    JSON.stringify(Object.entries(config).filter(([key]) => !KEYS_BESIDE_SERVERS.has(key as keyof PoolConfig)));
  return serverSettings(running) === serverSettings(reloaded);
}

/** The same `servers:` line, wherever it is in the file. */
function sameLine(running: ServerConfig, reloaded: ServerConfig): boolean {
  return JSON.stringify({ ...running, line: 0 }) === JSON.stringify({ ...reloaded, line: 0 });
}
