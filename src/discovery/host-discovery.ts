// One configured host name followed through DNS: looked up on the scheduler's beats, each answer
// applied to its address set, and every change or failed lookup reported to the layer above
// through the small interface it implements. A failed lookup leaves the set as it was.
import { isIP } from 'node:net';
import type { Clock, Timers } from '../util/clock.js';
import { AddressSet, type Address, type AddressChange } from './address-set.js';
import type { DiscoveryConfig } from './discovery-config.js';
import { keepsUnion } from './reader-endpoint.js';
import { ResolveScheduler, type LookupOutcome } from './resolve-scheduler.js';
import { LookupError, type HostAnswer, type HostResolver } from './resolver.js';

/** What the address layer gives discovery and hears back from it. */
export interface DiscoveryContext {
  isHealthy(address: Address): boolean;
  /** Some addresses joined or left (left ones are to be drained). */
  addressesChanged(change: AddressChange): void;
  /** The lookup failed; the set is unchanged. */
  lookupFailed(error: LookupError): void;
}

export interface DiscoveryDeps {
  resolver: HostResolver;
  clock: Clock;
  timers: Timers;
}

export class HostDiscovery {
  readonly set: AddressSet;
  private readonly scheduler: ResolveScheduler;
  private stopped = false;

  constructor(readonly host: string, port: number, config: DiscoveryConfig, private readonly deps: DiscoveryDeps, private readonly context: DiscoveryContext) {
    this.set = new AddressSet(host, port, { keepUnion: keepsUnion(host, config), expirationMs: config.expirationMinutes * 60_000 }, deps.clock);
    const policy = {
      // An IP literal never changes: one "lookup" gives the set for good.
      intervalMs: isIP(host) === 0 ? config.resolveIntervalSeconds * 1000 : 0,
      negativeTtlMs: config.negativeTtlSeconds * 1000,
      cacheMode: config.cacheMode,
    };
    this.scheduler = new ResolveScheduler(() => this.lookup(), policy, deps.clock, deps.timers);
  }

  start(): void {
    this.scheduler.start();
  }

  /** An address of this host failed (cache_mode looks again at once). */
  addressFailed(): void {
    this.scheduler.addressFailed();
  }

  /** Looks the name up again now (or as soon as the minimum gap between lookups allows). */
  resolveNow(): void {
    this.scheduler.resolveNow();
  }

  /** Milliseconds since the last answer that contained `ip`, or undefined when it is not in the set. */
  sinceSeenMs(ip: string): number | undefined {
    const seen = this.set.lastSeen(ip);
    return seen === undefined ? undefined : this.deps.clock.now() - seen;
  }

  /** No lookup after this, and a lookup still in flight changes nothing. */
  stop(): void {
    this.stopped = true;
    this.scheduler.stop();
  }

  private async lookup(): Promise<LookupOutcome> {
    let answer: HostAnswer;
    try {
      answer = await this.deps.resolver.resolve(this.host);
    } catch (err) {
      if (this.stopped) return { ok: false };
      this.context.lookupFailed(err instanceof LookupError ? err : new LookupError(this.host, 'ERROR', String(err)));
      return { ok: false };
    }
    if (this.stopped) return { ok: false };
    const change = this.set.apply(answer.addresses, (address) => this.context.isHealthy(address));
    if (change.joined.length > 0 || change.left.length > 0) this.context.addressesChanged(change);
    return { ok: true, ttlSeconds: answer.ttlSeconds, joined: change.joined.length > 0 };
  }
}
