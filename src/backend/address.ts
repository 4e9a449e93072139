// One address of a logical server (an IP and port DNS gave, an IP literal, or a unix socket):
// it owns its connections, its health and failure count, and its own counters. The twemproxy
// counters stay on the logical server (shared by its addresses), so the stats JSON is unchanged.
import type { ServerConfig } from '../config/types.js';
import type { Codec } from '../protocol/codec.js';
import type { PoolStats, ServerStats } from '../stats/counters.js';
import { LOG_NOTICE, log } from '../log/logger.js';
import type { IpFamily } from '../discovery/resolver.js';
import { ServerConnection, type ConnectionContext, type FailoverReplies, type ForwardedRequest } from './server-connection.js';
import type { Connector, Endpoint } from './connector.js';
import { ConnectionPool, type PoolOwner } from './connection-pool.js';
import type { PoolingConfig } from '../config/types.js';
import type { Clock, Timers } from '../util/clock.js';
import { LatencyEstimator } from './latency-estimator.js';

/** Counters of one address, kept on the hot path like twemproxy's. */
export class AddressStats {
  requests = 0;
  responses = 0;
  /** Connections of this address that failed (refused, reset, timed out, closed by the server). */
  failures = 0;
}

/** What an address needs from its logical server: what its connections need, and more. */
export interface AddressOwner
  extends Pick<ConnectionContext, 'config' | 'stats' | 'poolStats' | 'poolName' | 'timeout' | 'tcpKeepalive' | 'codec' | 'maxReplyBytes' | 'connector'> {
  /** The connection_* keys: how many connections stay warm, and when an idle one closes. */
  readonly pooling: PoolingConfig;
  readonly clock: Clock;
  readonly timers: Timers;
  /** `dns_failure_threshold`: failures in a row after which the address is unhealthy. */
  readonly failureThreshold: number;
  readonly setupRequests: readonly Buffer[];
  readonly resp3SetupRequests: readonly Buffer[];
  /** A connection of `address` failed while it was taking traffic. */
  addressFailed(address: Address): void;
  /** `address` became healthy or unhealthy: the address table is to be rebuilt. */
  healthChanged(address: Address): void;
  /** A reply arrived from `address`. */
  addressAnswered(address: Address): void;
  /** `address` left the set and its last connection closed. */
  addressDrained(address: Address): void;
  /** True when -READONLY replies mean a failover to follow (cache_mode, a primary name). */
  readonly followsFailover: boolean;
  /**
   * `address` refused `request` with -READONLY on the shared connection `slot` (`refused`), or
   * answered it after refusing an earlier one there; true when the request waits for the new
   * primary, false when its client is to get the reply.
   */
  replicaReplied(address: Address, slot: number, resp3: boolean, request: ForwardedRequest, refused: boolean): boolean;
}

/** How often an unhealthy address is probed until it answers. */
export const PROBE_INTERVAL_MS = 1000;

export class Address implements ConnectionContext, PoolOwner<ServerConnection>, FailoverReplies {
  readonly addressStats = new AddressStats();
  /** Round trips of its connections and latency probes, smoothed (for latency routing and the stats). */
  readonly latency = new LatencyEstimator();
  failureCount = 0;
  healthy = true;
  /** Set once the address left the set: its connections close as their replies come in. */
  draining = false;
  /** ms timestamp (Date.now) of the last DNS answer that contained it; 0 for a static address. */
  lastSeen = 0;
  readonly endpoint: Endpoint;
  /** The connections clients share, each client always on the same one. */
  private readonly pool: ConnectionPool<ServerConnection>;
  private readonly dedicated = new Set<ServerConnection>();
  private probe: ServerConnection | null = null;
  private probeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly owner: AddressOwner,
    readonly ip: string,
    readonly port: number,
    readonly family: IpFamily | 0,
    /** The host name as configured (for the logs; TLS checks config.host). */
    readonly host: string,
    /** How many connections clients share: server_connections, or this address's share of them. */
    connections: number,
  ) {
    this.endpoint = { host: ip, port, isUnix: family === 0 };
    const { warm, idleTimeoutMs } = owner.pooling;
    this.pool = new ConnectionPool(this, { size: connections, warm, idleTimeoutMs }, owner.clock, owner.timers);
  }

  /** Opens the warm connections (connection_warming) and starts closing idle ones. */
  start(): void {
    this.pool.start();
  }

  /** Changes how many connections clients share (the server's were shared again among its addresses). */
  resize(connections: number): void {
    this.pool.resize(connections);
  }

  /** A warm connection that closed is reopened only while the address takes traffic. */
  get warmable(): boolean {
    return this.healthy && !this.draining;
  }

  get failoverReplies(): FailoverReplies | null {
    return this.owner.followsFailover ? this : null;
  }

  /** A refusal on a transaction's connection reaches its client: the transaction is the client's to retry. */
  replicaReplied(connection: ServerConnection, request: ForwardedRequest, reply: Buffer, refused: boolean): void {
    const place = this.pool.placeOf(connection);
    if (place === undefined || !this.owner.replicaReplied(this, place.slot, place.resp3, request, refused)) request.complete(reply);
  }

  /** A new shared connection: it connects and says the set-up requests (AUTH, SELECT, HELLO 3). */
  open(resp3: boolean): ServerConnection {
    return new ServerConnection(this, resp3 ? this.owner.resp3SetupRequests : this.owner.setupRequests);
  }

  get config(): ServerConfig {
    return this.owner.config;
  }

  get stats(): ServerStats {
    return this.owner.stats;
  }

  get connector(): Connector {
    return this.owner.connector;
  }

  get poolStats(): PoolStats {
    return this.owner.poolStats;
  }

  get poolName(): string {
    return this.owner.poolName;
  }

  get timeout(): number | null {
    return this.owner.timeout;
  }

  get tcpKeepalive(): boolean {
    return this.owner.tcpKeepalive;
  }

  get codec(): Codec {
    return this.owner.codec;
  }

  get maxReplyBytes(): number {
    return this.owner.maxReplyBytes;
  }

  /** The smoothed latency in microseconds, or null before the first sample. */
  get latencyMicros(): number | null {
    return this.latency.measured ? this.latency.micros : null;
  }

  /** `ip:port` (`[ip]:port` for IPv6, the path for a unix socket), as the logs and the stats show it. */
  get label(): string {
    if (this.family === 0) return this.ip;
    return this.family === 6 ? `[${this.ip}]:${this.port}` : `${this.ip}:${this.port}`;
  }

  /**
   * The connection for `slot` (derived from the client id), opened if it is not open: one
   * client's requests to this address always take the same connection, so they stay in order.
   */
  connection(slot: number, resp3: boolean): ServerConnection {
    return this.pool.connection(slot, resp3);
  }

  /** A connection no other client uses until it is released (transactions). */
  dedicatedConnection(): ServerConnection {
    const parked = this.pool.unpark();
    if (parked !== undefined) return parked;
    const connection = new ServerConnection(this, this.owner.setupRequests);
    this.dedicated.add(connection);
    return connection;
  }

  ownsDedicated(connection: ServerConnection): boolean {
    return this.dedicated.has(connection);
  }

  /**
   * Up to `server_connections` released ones are kept (closed after connection_idle_timeout unused);
   * the others, and all once draining, close when answered.
   */
  releaseDedicated(connection: ServerConnection): void {
    if (connection.closed) return;
    if (this.draining || !this.pool.park(connection)) connection.closeWhenAnswered();
  }

  openAll(): void {
    this.pool.openAll();
  }

  closeAll(): void {
    this.stopProbing();
    this.pool.closeAll();
    for (const connection of this.dedicated) connection.destroy();
    this.probe?.destroy();
  }

  /**
   * The address left the set: no new request comes to it; the requests in flight get their
   * replies, then its connections close. A transaction under way keeps its connection until it ends.
   */
  drain(): void {
    this.draining = true;
    this.stopProbing();
    this.probe?.destroy();
    this.pool.drain();
    if (this.isIdle()) this.owner.addressDrained(this);
  }

  connectionClosed(connection: ServerConnection, failure: boolean): void {
    if (!this.pool.forget(connection)) {
      if (connection === this.probe) this.probe = null;
      else this.dedicated.delete(connection);
    }
    if (this.draining) {
      if (this.isIdle()) this.owner.addressDrained(this);
      return;
    }
    if (!failure) return;
    this.addressStats.failures++;
    this.failureCount++;
    // A probe's failure only confirms what is known; it is not charged to the logical server.
    if (connection.isProbe) return;
    if (this.healthy && this.failureCount >= this.owner.failureThreshold) this.becomeUnhealthy();
    this.owner.addressFailed(this);
  }

  /** A latency probe failed: one more failure in a row (the address may turn unhealthy), not charged to the logical server. */
  latencyProbeFailed(): void {
    this.addressStats.failures++;
    this.failureCount++;
    if (this.healthy && !this.draining && this.failureCount >= this.owner.failureThreshold) this.becomeUnhealthy();
  }

  /** A tcp pool's tunnel to this address failed: as a connection failure. */
  tunnelFailed(): void {
    this.latencyProbeFailed();
    if (!this.draining) this.owner.addressFailed(this);
  }

  private isIdle(): boolean {
    return this.pool.empty && this.dedicated.size === 0 && this.probe === null;
  }

  serverAnswered(): void {
    this.failureCount = 0;
    if (!this.healthy) this.becomeHealthy();
    this.owner.addressAnswered(this);
  }

  private becomeUnhealthy(): void {
    this.healthy = false;
    log.log(LOG_NOTICE, `address ${this.label} of server '${this.config.name}' of pool '${this.poolName}' is unhealthy ` +
      `after ${this.failureCount} failures in a row: it takes no traffic while another address is healthy, and is probed until it answers`);
    // A tcp pool has no request to probe with: its server's probes (tcp-probe.ts) bring it back.
    if (this.codec.probeRequest.length > 0) this.scheduleProbe();
    this.owner.healthChanged(this);
  }

  private becomeHealthy(): void {
    this.healthy = true;
    this.stopProbing();
    if (this.draining) return;
    log.log(LOG_NOTICE, `address ${this.label} of server '${this.config.name}' of pool '${this.poolName}' is healthy again: it answered`);
    this.owner.healthChanged(this);
  }

  /** Every PROBE_INTERVAL_MS, the codec's probe request (PING, version) on a connection of its own. */
  private scheduleProbe(): void {
    if (this.probeTimer !== null || this.draining) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      if (this.healthy || this.draining) return;
      if (this.probe === null) {
        this.probe = new ServerConnection(this, this.owner.setupRequests, true);
        this.probe.send(new ProbeRequest(this.owner.codec.probeRequest));
        this.probe.closeWhenAnswered();
      }
      this.scheduleProbe();
    }, PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }

  private stopProbing(): void {
    if (this.probeTimer !== null) clearTimeout(this.probeTimer);
    this.probeTimer = null;
  }
}

/** The probe's request: its reply only matters for arriving (serverAnswered). */
class ProbeRequest implements ForwardedRequest {
  deadline = 0;
  readonly expectsReply = true;

  constructor(readonly data: Buffer) {}

  complete(): void {}
}
