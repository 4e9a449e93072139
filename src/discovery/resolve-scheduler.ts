// When a host name is looked up again (SPEC sections 2 and 5): every dns_resolve_interval (0 =
// once, after the first lookup that succeeds), after dns_cache_negative_ttl when a lookup failed,
// and in cache_mode no later than the record TTL, at once when an address fails, and soon again
// after an answer that brought a new address (a reader endpoint answering one replica per lookup
// then shows them all within seconds). Lookups start at least a second apart. Time and timers
// are injected.
import type { Clock, TimerHandle, Timers } from '../util/clock.js';

export type LookupOutcome =
  /** `joined`: the answer brought an address the set did not have. */
  | { ok: true; ttlSeconds: number | undefined; joined: boolean }
  | { ok: false };

export interface SchedulePolicy {
  /** 0 = no lookup after the first one that succeeds. */
  intervalMs: number;
  negativeTtlMs: number;
  cacheMode: boolean;
}

export const MIN_LOOKUP_GAP_MS = 1000;

/** Milliseconds until the next lookup after `outcome`, or undefined for none. */
export function nextLookupDelay(outcome: LookupOutcome, policy: SchedulePolicy): number | undefined {
  if (!outcome.ok) return Math.max(policy.negativeTtlMs, MIN_LOOKUP_GAP_MS);
  if (policy.intervalMs === 0) return undefined;
  if (policy.cacheMode && outcome.joined) return MIN_LOOKUP_GAP_MS;
  const ttlMs = policy.cacheMode && outcome.ttlSeconds !== undefined ? outcome.ttlSeconds * 1000 : Infinity;
  return Math.max(Math.min(policy.intervalMs, ttlMs), MIN_LOOKUP_GAP_MS);
}

export class ResolveScheduler {
  private timer: TimerHandle | undefined;
  private dueAt = Infinity;
  private running = false;
  private lastStart = -Infinity;
  private stopped = false;
  /** Set when a lookup was asked for while one was in flight: another follows it (its answer may predate the ask). */
  private again = false;

  constructor(
    private readonly lookup: () => Promise<LookupOutcome>,
    private readonly policy: SchedulePolicy,
    private readonly clock: Clock,
    private readonly timers: Timers,
  ) {}

  /** The first lookup, now. */
  start(): void {
    void this.run();
  }

  /** In cache_mode an address failed: look again now, or as soon as the minimum gap allows. */
  addressFailed(): void {
    if (!this.policy.cacheMode || this.policy.intervalMs === 0 || this.running) return;
    this.resolveNow();
  }

  /** Looks again now, or as soon as the minimum gap allows; after the lookup in flight when there is one. */
  resolveNow(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const now = this.clock.now();
    const at = Math.max(now, this.lastStart + MIN_LOOKUP_GAP_MS);
    if (at < this.dueAt) this.schedule(at - now);
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  private async run(): Promise<void> {
    this.running = true;
    this.lastStart = this.clock.now();
    const outcome = await this.lookup().catch((): LookupOutcome => ({ ok: false }));
    this.running = false;
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      this.schedule(MIN_LOOKUP_GAP_MS);
      return;
    }
    const delay = nextLookupDelay(outcome, this.policy);
    if (delay !== undefined) this.schedule(delay);
  }

  private schedule(delayMs: number): void {
    this.cancelTimer();
    this.dueAt = this.clock.now() + delayMs;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.dueAt = Infinity;
      void this.run();
    }, delayMs);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.dueAt = Infinity;
  }
}
