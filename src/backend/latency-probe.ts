// The latency probe of one address under latency routing: the codec's probe request (PING,
// memcached `version`) every LATENCY_PROBE_INTERVAL_MS on a connection of its own, so that an
// address with little or no traffic stays measured and can win traffic back. Its connection is
// timed like any other (alone on it, every probe is a round trip; a failure counts as slow); a
// probe still unanswered at the next tick counts as slow by the time it has waited; a failed
// probe is also one failure in a row of the address. Its requests stay out of the twemproxy counters.
import type { Address } from './address.js';
import type { Connector, Endpoint } from './connector.js';
import type { LatencyEstimator } from './latency-estimator.js';
import { ServerConnection, type AddressCounters, type ConnectionContext, type ForwardedRequest } from './server-connection.js';
import type { ServerConfig } from '../config/types.js';
import type { Codec } from '../protocol/codec.js';
import { ServerStats, type PoolStats } from '../stats/counters.js';

export const LATENCY_PROBE_INTERVAL_MS = 500;

/** What probes an address every LATENCY_PROBE_INTERVAL_MS. */
export interface AddressProbe {
  tick(now: number): void;
  stop(): void;
}

export class LatencyProbe implements ConnectionContext, AddressProbe {
  /** Counters of its own: probes are not the clients' requests. */
  readonly stats = new ServerStats();
  readonly addressStats: AddressCounters = { requests: 0, responses: 0 };
  /** A probe's replies are its own, a replica's too. */
  readonly failoverReplies = null;
  private connection: ServerConnection | null = null;
  private readonly request: ProbeRequest;
  private stopped = false;

  constructor(private readonly address: Address) {
    this.request = new ProbeRequest(address.codec.probeRequest);
  }

  get config(): ServerConfig {
    return this.address.config;
  }

  get endpoint(): Endpoint {
    return this.address.endpoint;
  }

  get label(): string {
    return this.address.label;
  }

  get poolStats(): PoolStats {
    return this.address.poolStats;
  }

  get poolName(): string {
    return this.address.poolName;
  }

  get timeout(): number | null {
    return this.address.timeout;
  }

  get tcpKeepalive(): boolean {
    return this.address.tcpKeepalive;
  }

  get connector(): Connector {
    return this.address.connector;
  }

  get codec(): Codec {
    return this.address.codec;
  }

  get maxReplyBytes(): number {
    return this.address.maxReplyBytes;
  }

  get latency(): LatencyEstimator {
    return this.address.latency;
  }

  /** Sends the next probe, or counts the one still unanswered as slow by its wait so far. */
  tick(now: number): void {
    if (this.stopped) return;
    if (this.request.sentAt !== 0) {
      const waitedMicros = (now - this.request.sentAt) * 1000;
      if (waitedMicros > this.latency.micros) this.latency.record(waitedMicros);
      return;
    }
    if (this.connection === null) this.connection = new ServerConnection(this, [], true);
    this.request.sentAt = now;
    this.connection.send(this.request);
  }

  stop(): void {
    this.stopped = true;
    this.connection?.destroy();
  }

  connectionClosed(_connection: ServerConnection, failure: boolean): void {
    this.connection = null;
    this.request.sentAt = 0;
    if (failure && !this.stopped) this.address.latencyProbeFailed();
  }

  serverAnswered(): void {
    this.address.serverAnswered();
  }
}

/** The probe request, reused: `sentAt` (performance.now, ms) is 0 while none is outstanding. */
class ProbeRequest implements ForwardedRequest {
  deadline = 0;
  readonly expectsReply = true;
  sentAt = 0;

  constructor(readonly data: Buffer) {}

  complete(): void {
    this.sentAt = 0;
  }
}
