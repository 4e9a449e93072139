// The share of a logical server's requests each of its addresses gets under latency routing
// (SPEC section 3), as pure functions of the addresses' health and smoothed latency.
//
// - latency_weight W: W% to the fastest healthy address, (100 - W)% split equally among the other
//   healthy ones; one healthy address gets everything; an unhealthy one nothing.
// - zone_aware: healthy measured addresses, sorted by latency, form zones: a zone starts at its
//   fastest member and holds every address within zone_latency_threshold of it (so all members are
//   within the threshold of each other). The zone of the fastest address is local; local shares are
//   multiplied by (1 + zone_weight / 100), then all shares are scaled back to 100%.

export interface ShareRules {
  /** latency_weight, 0..100. */
  readonly latencyWeight: number;
  readonly zoneAware: boolean;
  /** zone_weight, percent of extra share for the local zone. */
  readonly zoneWeight: number;
  /** zone_latency_threshold, microseconds. */
  readonly zoneLatencyThresholdMicros: number;
}

/** What the share math needs of an address. */
export interface ShareCandidate {
  readonly healthy: boolean;
  /** Smoothed latency in microseconds, or null when not measured yet. */
  readonly latencyMicros: number | null;
}

export interface ShareResult {
  /** Percent of the requests per address (same order as given); they add up to 100 when one is healthy. */
  readonly shares: number[];
  /** Zone per address: 0 is the local zone, 1, 2... slower ones; null when unknown (unhealthy, unmeasured, zones off). */
  readonly zones: (number | null)[];
}

/**
 * The shares for addresses whose fastest is `best` (an index, chosen with hysteresis by the
 * caller; -1 when no healthy address is measured yet: the healthy ones then share equally).
 */
export function latencyShares(candidates: readonly ShareCandidate[], best: number, rules: ShareRules): ShareResult {
  const healthy = candidates.map((candidate) => candidate.healthy);
  const healthyCount = healthy.filter(Boolean).length;
  const zones: (number | null)[] = candidates.map(() => null);
  if (healthyCount === 0) return { shares: candidates.map(() => 0), zones };
  if (best < 0 || !healthy[best]) return { shares: healthy.map((h) => (h ? 100 / healthyCount : 0)), zones };
  const others = healthyCount - 1;
  const shares = healthy.map((h, index) => {
    if (!h) return 0;
    if (others === 0) return 100;
    return index === best ? rules.latencyWeight : (100 - rules.latencyWeight) / others;
  });
  if (!rules.zoneAware) return { shares, zones };
  const found = latencyZones(candidates, rules.zoneLatencyThresholdMicros);
  const localZone = found[best];
  const factor = 1 + rules.zoneWeight / 100;
  return { shares: normalise(shares.map((share, index) => (found[index] === localZone ? share * factor : share))), zones: renumber(found, localZone!) };
}

/**
 * Zones by latency: healthy measured addresses sorted by latency; a new zone starts at the first
 * address more than `thresholdMicros` slower than the current zone's fastest. Zone numbers count
 * from 0 (the fastest zone); null for an address that is unhealthy or not measured.
 */
export function latencyZones(candidates: readonly ShareCandidate[], thresholdMicros: number): (number | null)[] {
  const zones: (number | null)[] = candidates.map(() => null);
  const order = candidates
    .map((candidate, index) => ({ index, latency: candidate.latencyMicros }))
    .filter((entry): entry is { index: number; latency: number } => entry.latency !== null && candidates[entry.index]!.healthy)
    .sort((a, b) => a.latency - b.latency);
  let zone = -1;
  let zoneStart = -Infinity;
  for (const { index, latency } of order) {
    if (latency - zoneStart > thresholdMicros) {
      zone++;
      zoneStart = latency;
    }
    zones[index] = zone;
  }
  return zones;
}

/** Zone numbers with the local zone as 0 and the others after it in their order. */
function renumber(zones: readonly (number | null)[], local: number): (number | null)[] {
  return zones.map((zone) => (zone === null ? null : zone === local ? 0 : zone < local ? zone + 1 : zone));
}

function normalise(shares: readonly number[]): number[] {
  const total = shares.reduce((sum, share) => sum + share, 0);
  return total === 0 ? shares.slice() : shares.map((share) => (share * 100) / total);
}
