// Which names keep the union of recent answers (SPEC section 3). Reader endpoints of managed
// caches and databases answer one replica per lookup, so each answer is only a sample of the set;
// any other name (a primary that moves on failover) takes each answer as its whole set.
import type { DiscoveryConfig } from './discovery-config.js';

/**
 * True when `host`'s addresses are the union of recent answers: `dynamic_endpoint: true`, or
 * `auto` with a reader endpoint's name or a pool with latency_routing.
 */
export function keepsUnion(host: string, config: Pick<DiscoveryConfig, 'dynamicEndpoint' | 'latencyRouting'>): boolean {
  if (config.dynamicEndpoint !== 'auto') return config.dynamicEndpoint;
  return config.latencyRouting || isReaderEndpointName(host);
}

/**
 * A first label ending in `-ro` (`cache-ro.example.com`, ElastiCache's `name-ro.xxx.cache.amazonaws.com`),
 * or Aurora's reader form, whose second label starts with `cluster-ro-` (`db.cluster-ro-xxx.rds.amazonaws.com`).
 */
function isReaderEndpointName(host: string): boolean {
  const labels = host.toLowerCase().split('.');
  return labels[0]!.endsWith('-ro') || (labels[1]?.startsWith('cluster-ro-') ?? false);
}
