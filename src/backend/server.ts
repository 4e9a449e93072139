// A logical server: one `servers:` line, a member of the ring and the unit of twemproxy's
// auto-ejection. It owns its addresses (an IP literal or unix socket has one; a host name has
// those DNS gives it, followed through discovery) and picks one per client from a table.
import { isIP } from 'node:net';
import type { PoolConfig, PoolingConfig, ServerConfig } from '../config/types.js';
import { ServerStats, type PoolStats } from '../stats/counters.js';
import { ServerConnection, type ForwardedRequest } from './server-connection.js';
import type { Codec } from '../protocol/codec.js';
import { codecFor } from '../protocol/index.js';
import type { Connector } from './connector.js';
import { LOG_NOTICE, LOG_WARN, log } from '../log/logger.js';
import { Address, type AddressOwner } from './address.js';
import { AddressTable } from './address-table.js';
import { LatencyRouting, type AddressRouting } from './latency-routing.js';
import { LatencyProbe } from './latency-probe.js';
import { TcpProbe } from './tcp-probe.js';
import { openTunnel } from './tunnel.js';
import type { Socket } from 'node:net';
import { describeChange, type Address as DiscoveredAddress, type AddressChange } from '../discovery/address-set.js';
import { HostDiscovery, type DiscoveryContext, type DiscoveryDeps } from '../discovery/host-discovery.js';
import type { LookupError } from '../discovery/resolver.js';
import type { Clock, Timers } from '../util/clock.js';
import { keepsUnion } from '../discovery/reader-endpoint.js';
import { PrimaryFailover, type FailoverOwner } from './primary-failover.js';

export interface ServerEvents {
  /** A connection of `server` failed while none of its other addresses is healthy. */
  serverFailed(server: Server): void;
}

/** Where a request is sent: a connection of one address, or the error of a server with no address yet. */
export interface RequestSink {
  readonly closed: boolean;
  send(request: ForwardedRequest): void;
}

export class Server implements AddressOwner, DiscoveryContext, FailoverOwner {
  readonly stats = new ServerStats();
  failureCount = 0;
  /** ms timestamp until which the server is ejected (0 = not ejected). */
  ejectedUntil = 0;
  readonly poolName: string;
  readonly timeout: number | null;
  readonly tcpKeepalive: boolean;
  readonly codec: Codec;
  /** server_connections: per address with connection_pooling, else shared by the addresses. */
  private readonly serverConnections: number;
  readonly pooling: PoolingConfig;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly failureThreshold: number;
  /** Written first on every connection; the RESP3 ones also say HELLO 3. */
  readonly setupRequests: readonly Buffer[];
  readonly resp3SetupRequests: readonly Buffer[];
  readonly maxReplyBytes: number;
  /** The counters of the pool that serves the server now (a reload may hand it to another). */
  poolStats: PoolStats;
  /** The addresses requests may go to, in the order they joined; a new array on each change. */
  addresses: readonly Address[] = [];
  /** Addresses that left the set and still have connections open. */
  private readonly draining = new Set<Address>();
  private readonly table = new AddressTable<Address>();
  private readonly discovery: HostDiscovery | null = null;
  /** cache_mode on a primary name (not a reader endpoint) of a redis pool: follows the name through failovers. */
  private readonly failover: PrimaryFailover | null = null;
  /** With latency_routing: the shares by latency that lay out the table, and the probes (also for tcp pools); null otherwise. */
  private readonly latencyRouting: LatencyRouting | null;
  private readonly unresolved: RequestSink;
  private lastLookupError: string | null = null;
  private preconnect = false;
  private discoveryStarted = false;
  private firstLookupDone: () => void = () => undefined;
  /** Settled once the server has addresses or its first lookup failed. */
  readonly firstLookup: Promise<void>;

  constructor(
    readonly config: ServerConfig,
    pool: PoolConfig,
    poolStats: PoolStats,
    private events: ServerEvents,
    readonly connector: Connector,
    discovery: DiscoveryDeps,
  ) {
    this.poolStats = poolStats;
    this.poolName = pool.name;
    this.timeout = pool.timeout;
    this.tcpKeepalive = pool.tcpKeepalive;
    this.codec = codecFor(pool.protocol);
    this.setupRequests = this.codec.setupRequests({ redisAuth: pool.redisAuth, redisDb: pool.redisDb, resp3: false });
    this.resp3SetupRequests = this.codec.setupRequests({ redisAuth: pool.redisAuth, redisDb: pool.redisDb, resp3: true });
    this.maxReplyBytes = pool.maxReplyBytes;
    this.serverConnections = pool.serverConnections;
    this.pooling = pool.pooling;
    this.clock = discovery.clock;
    this.timers = discovery.timers;
    this.failureThreshold = pool.discovery.failureThreshold;
    this.unresolved = new UnresolvedServer(this);
    this.latencyRouting = pool.latency.routing || pool.protocol === 'tcp'
      ? new LatencyRouting(config.name, pool.name, pool.latency.routing ? pool.latency : null, this.table,
        pool.protocol === 'tcp' ? (address) => new TcpProbe(address) : (address) => new LatencyProbe(address))
      : null;
    const literal = config.isUnix ? 0 : isIP(config.host);
    if (config.isUnix || literal !== 0) {
      const address = new Address(this, config.host, config.port, literal === 0 ? 0 : (literal as 4 | 6), config.host, this.serverConnections);
      this.setAddresses([address]);
      address.start();
      this.firstLookup = Promise.resolve();
    } else {
      this.discovery = new HostDiscovery(config.host, config.port, pool.discovery, discovery, this);
      if (pool.discovery.cacheMode && pool.protocol === 'redis' && !keepsUnion(config.host, pool.discovery)) {
        this.failover = new PrimaryFailover(this, discovery.timers);
      }
      this.firstLookup = new Promise((resolve) => (this.firstLookupDone = resolve));
    }
  }

  get name(): string {
    return this.config.name;
  }

  /** Why the server has no address, for the error its requests get; null when it has some. */
  get unresolvedReason(): string | null {
    if (this.addresses.length > 0) return null;
    return `server '${this.name}' of pool '${this.poolName}' has no address yet: ` +
      `${this.lastLookupError ?? `the DNS lookup of '${this.config.host}' has not answered yet`}; the proxy keeps trying`;
  }

  /** The addresses requests go to now (the healthy ones, or all when none is). */
  get routedAddresses(): readonly Address[] {
    return this.table.routed;
  }

  /** Addresses that left the set and still finish their requests in flight. */
  get drainingAddresses(): Iterable<Address> {
    return this.draining;
  }

  /** Seconds since DNS last gave `address`; undefined for an address that does not come from DNS. */
  secondsSinceSeen(address: Address): number | undefined {
    const ms = this.discovery?.sinceSeenMs(address.ip);
    return ms === undefined ? undefined : Math.round(ms / 100) / 10;
  }

  /** How `address` takes part in the routing now: its share of the requests, and its zone. */
  routingOf(address: Address): AddressRouting {
    if (this.latencyRouting?.weighted === true) return this.latencyRouting.routingOf(address);
    const routed = this.table.routed;
    return { share: routed.includes(address) ? 100 / routed.length : 0, zone: null, fastest: false };
  }

  /** True with latency_routing: shares by latency, chosen per request. */
  get routesByLatency(): boolean {
    return this.latencyRouting?.weighted === true;
  }

  /**
   * A raw connection for a tcp pool's client, to the address the routing gives (chosen once per
   * client connection); null when the server has no address yet.
   */
  openTunnel(turn: number): Socket | null {
    const address = this.table.pickFor(turn);
    return address === undefined ? null : openTunnel(address);
  }

  /** Starts following the host name through DNS (nothing to do for an IP literal or a socket), and the latency probes. */
  startDiscovery(): void {
    if (this.discoveryStarted) return; // a server a reload kept is already under way
    this.discoveryStarted = true;
    this.discovery?.start();
    this.latencyRouting?.start();
  }

  /**
   * The connection for a client's next request: an address chosen per request among the healthy
   * ones (in turn, or by latency share), then the client's one connection of that address (its
   * id picks it), so its pipelined requests to an address reach it in the order it sent them.
   * Clients that said HELLO 3 have connections of their own that speak RESP3 to the server.
   */
  connection(clientId: number, resp3 = false): RequestSink {
    if (this.failover !== null && this.failover.holding) return this.failover.sinkFor(clientId, resp3);
    const address = this.table.pick();
    return address === undefined ? this.unresolved : address.connection(clientId, resp3);
  }

  /**
   * A connection no other client uses until it is released: a transaction's WATCH and MULTI state
   * live on the server connection, so they must not be shared. It speaks RESP2 when handed out.
   */
  dedicatedConnection(): RequestSink {
    const address = this.table.pick();
    return address === undefined ? this.unresolved : address.dedicatedConnection();
  }

  /**
   * Gives back a dedicated connection whose transaction ended (EXEC, DISCARD or UNWATCH sent, so
   * the server holds no state for it). Its address keeps up to `server_connections` of them for
   * the next transaction; the others close once their replies are in.
   */
  releaseDedicated(connection: RequestSink): void {
    if (!(connection instanceof ServerConnection)) return;
    for (const address of this.addresses) if (address.ownsDedicated(connection)) return address.releaseDedicated(connection);
    for (const address of this.draining) if (address.ownsDedicated(connection)) return address.releaseDedicated(connection);
  }

  /** Opens every connection now, and those of addresses that join later (preconnect). */
  openAll(): void {
    this.preconnect = true;
    for (const address of this.addresses) address.openAll();
  }

  /**
   * A reload gave the server's line, unchanged, to the new pool of the same name: its connections
   * and its DNS state stay, its failures now count in that pool (which starts with it not ejected).
   */
  moveTo(poolStats: PoolStats, events: ServerEvents): void {
    this.poolStats = poolStats;
    this.events = events;
    this.failureCount = 0;
    this.ejectedUntil = 0;
  }

  closeAll(): void {
    this.discovery?.stop();
    this.failover?.abort(this.codec.serverErrorReply('Connection closed by the proxy'));
    this.latencyRouting?.stop();
    for (const address of this.addresses) address.closeAll();
    for (const address of this.draining) address.closeAll();
  }

  addressFailed(address: Address): void {
    this.discovery?.addressFailed();
    this.latencyRouting?.update();
    // One failing address does not count against the server while another one is healthy.
    if (!this.addresses.some((other) => other !== address && other.healthy)) this.events.serverFailed(this);
  }

  healthChanged(): void {
    if (this.latencyRouting !== null) this.latencyRouting.update();
    else this.table.rebuild(this.addresses);
  }

  addressAnswered(): void {
    this.failureCount = 0;
  }

  addressDrained(address: Address): void {
    this.draining.delete(address);
    this.failover?.addressDrained();
  }

  get followsFailover(): boolean {
    return this.failover !== null;
  }

  replicaReplied(address: Address, slot: number, resp3: boolean, request: ForwardedRequest, refused: boolean): boolean {
    return this.failover!.replied(slot, resp3, request, address.label, refused);
  }

  resolveNow(): void {
    this.discovery?.resolveNow();
  }

  /** A request that waited during a failover, sent as the client (or connection slot) `key` sends now. */
  resend(key: number, resp3: boolean, request: ForwardedRequest): void {
    const address = this.table.pick();
    if (address === undefined) this.unresolved.send(request);
    else address.connection(key, resp3).send(request);
  }

  get settling(): boolean {
    return this.draining.size > 0;
  }

  report(level: 'notice' | 'warn', message: string): void {
    log.log(level === 'notice' ? LOG_NOTICE : LOG_WARN, `server '${this.name}' of pool '${this.poolName}' ('${this.config.host}'): ${message}`);
  }

  isHealthy(discovered: DiscoveredAddress): boolean {
    return this.addresses.find((address) => address.ip === discovered.ip)?.healthy ?? true;
  }

  addressesChanged(change: AddressChange): void {
    const known = new Map(this.addresses.map((address) => [address.ip, address]));
    const count = change.addresses.length;
    const joined: Address[] = [];
    const next = change.addresses.map((discovered, index) => known.get(discovered.ip) ??
      this.addressJoined(discovered, this.connectionsOf(index, count), joined));
    for (const left of change.left) {
      const address = known.get(left.ip);
      if (address === undefined) continue;
      this.draining.add(address);
      address.drain();
    }
    this.lastLookupError = null;
    this.setAddresses(next);
    for (const address of joined) address.start();
    this.failover?.addressesChanged();
    log.log(LOG_NOTICE, `server '${this.name}' of pool '${this.poolName}': ${describeChange(this.config.host, change)}`);
    this.firstLookupDone();
  }

  lookupFailed(error: LookupError): void {
    this.lastLookupError = error.message;
    const kept = this.addresses.length === 0 ? 'it has no address yet' : `keeping its ${this.addresses.length} known address(es)`;
    log.log(LOG_WARN, `server '${this.name}' of pool '${this.poolName}': ${error.message}; ${kept}, trying again later`);
    this.firstLookupDone();
  }

  private addressJoined(discovered: DiscoveredAddress, connections: number, joined: Address[]): Address {
    const address = new Address(this, discovered.ip, discovered.port, discovered.family, discovered.host, connections);
    if (this.preconnect) address.openAll();
    joined.push(address);
    return address;
  }

  /**
   * How many connections the address at `index` of `count` has: server_connections with
   * connection_pooling; otherwise the server's server_connections shared among its addresses,
   * as twemproxy's are among one, and at least one each, so that every address can be reached.
   */
  private connectionsOf(index: number, count: number): number {
    const total = this.serverConnections;
    if (this.pooling.perAddress || count <= 1) return total;
    return Math.max(1, Math.floor(total / count) + (index < total % count ? 1 : 0));
  }

  private setAddresses(addresses: readonly Address[]): void {
    this.addresses = addresses;
    addresses.forEach((address, index) => address.resize(this.connectionsOf(index, addresses.length)));
    if (this.latencyRouting !== null) this.latencyRouting.setAddresses(addresses);
    else this.table.rebuild(addresses);
  }
}

/** The requests of a server whose name has not resolved yet fail at once, saying why. */
class UnresolvedServer implements RequestSink {
  readonly closed = true;

  constructor(private readonly server: Server) {}

  send(request: ForwardedRequest): void {
    this.server.poolStats.forward_error++;
    request.complete(this.server.codec.serverErrorReply(this.server.unresolvedReason ?? 'no address'), true);
  }
}
