// A pool's latency routing keys (latency_routing, latency_weight, zone_aware, zone_weight,
// zone_latency_threshold), read and checked.
import type { Section } from './section.js';
import type { LatencyConfig } from './types.js';

export const LATENCY_POOL_KEYS: readonly string[] = ['latency_routing', 'latency_weight', 'zone_aware', 'zone_weight', 'zone_latency_threshold'];

export function readLatency(section: Section): LatencyConfig {
  const latency: LatencyConfig = {
    routing: section.bool('latency_routing', false),
    latencyWeight: section.int('latency_weight', 80, { min: 0, max: 100, unit: 'percent' }),
    zoneAware: section.bool('zone_aware', false),
    zoneWeight: section.int('zone_weight', 25, { min: 0, unit: 'percent' }),
    zoneLatencyThresholdMicros: section.int('zone_latency_threshold', 50000, { min: 0, unit: 'microseconds' }),
  };
  // Zones only shape the shares of latency routing: without it they would be silently ignored.
  if (latency.zoneAware && !latency.routing) {
    section.problem(section.entry('zone_aware')!,
      "is true, but zones only change how latency routing shares a server's requests: add 'latency_routing: true' or remove zone_aware");
  }
  return latency;
}
