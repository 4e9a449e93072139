// Which address counts as a server's fastest, with hysteresis so that two addresses within noise
// of each other do not swap the routing back and forth:
// - a challenger replaces the current fastest only when its smoothed latency is lower by more than
//   FASTEST_MARGIN (20%) and by at least FASTEST_MARGIN_FLOOR_US (100 us, loopback noise), and
//   only once the current one has been the fastest for FASTEST_MIN_DWELL_MS (2 s);
// - the current fastest is replaced at once when it is no longer healthy, left the set, or its
//   last request failed (a killed replica loses its traffic before dns_failure_threshold is reached).
// With probes every LATENCY_PROBE_INTERVAL_MS (latency-routing.ts) and the smoothing of
// latency-estimator.ts, an address that turns slow or fast changes the routing within 5 s.
import type { ShareCandidate } from './address-shares.js';

export const FASTEST_MARGIN = 0.2;
export const FASTEST_MARGIN_FLOOR_US = 100;
export const FASTEST_MIN_DWELL_MS = 2000;

export interface FastestCandidate extends ShareCandidate {
  /** Failures in a row now. */
  readonly failureCount: number;
}

export class FastestAddress<A extends FastestCandidate> {
  private current: A | null = null;
  private since = -Infinity;

  /** The fastest address of `candidates` at `now` (ms), or -1 when no healthy one is measured. */
  choose(candidates: readonly A[], now: number): number {
    let fastest = -1;
    for (let index = 0; index < candidates.length; index++) {
      const candidate = candidates[index]!;
      if (!candidate.healthy || candidate.latencyMicros === null || candidate.failureCount > 0) continue;
      if (fastest === -1 || candidate.latencyMicros < candidates[fastest]!.latencyMicros!) fastest = index;
    }
    const held = this.current === null ? -1 : candidates.indexOf(this.current);
    if (held !== -1 && fastest === -1 && candidates[held]!.healthy) return held;
    if (held !== -1 && candidates[held]!.healthy && candidates[held]!.failureCount === 0 &&
      !this.replaces(candidates[fastest]!, candidates[held]!, now)) return held;
    this.current = fastest === -1 ? null : candidates[fastest]!;
    if (fastest !== held) this.since = now;
    return fastest;
  }

  private replaces(challenger: A, held: A, now: number): boolean {
    if (challenger === held) return false;
    const heldMicros = held.latencyMicros!;
    const gain = heldMicros - challenger.latencyMicros!;
    return gain > heldMicros * FASTEST_MARGIN && gain >= FASTEST_MARGIN_FLOOR_US && now - this.since >= FASTEST_MIN_DWELL_MS;
  }
}
