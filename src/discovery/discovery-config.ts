// What the discovery layer reads from a pool's configuration (SPEC section 2: the dns_* keys,
// dynamic_endpoint, and the two keys that change how names are looked up: latency_routing and
// cache_mode). Built from plain values so the config loader needs one call to hand them over.

/** `dynamic_endpoint`: 'auto' applies the reader-endpoint rule, a boolean forces it. */
export type DynamicEndpoint = 'auto' | boolean;

export interface DiscoveryConfig {
  /** `dns_resolve_interval`: seconds between re-resolutions; 0 = resolve once. */
  resolveIntervalSeconds: number;
  /** `dns_failure_threshold`: consecutive failures before an address is unhealthy. */
  failureThreshold: number;
  /** `dns_cache_negative_ttl`: seconds a failed lookup is remembered before it is retried. */
  negativeTtlSeconds: number;
  /** `dns_expiration_minutes` (fractions allowed): how long an address outlives its last answer. */
  expirationMinutes: number;
  dynamicEndpoint: DynamicEndpoint;
  latencyRouting: boolean;
  cacheMode: boolean;
  /** `dns_servers` of the pool, else the global one; empty = the system's nameservers. */
  dnsServers: readonly string[];
}

export const DISCOVERY_DEFAULTS: Readonly<DiscoveryConfig> = {
  resolveIntervalSeconds: 30,
  failureThreshold: 3,
  negativeTtlSeconds: 30,
  expirationMinutes: 5,
  dynamicEndpoint: 'auto',
  latencyRouting: false,
  cacheMode: false,
  dnsServers: [],
};

/**
 * A pool's discovery settings: the values it sets, the defaults for the others, and the global
 * `dns_servers` when the pool names none of its own.
 */
export function discoveryConfig(pool: Partial<DiscoveryConfig>, globalDnsServers: readonly string[] = []): DiscoveryConfig {
  const dnsServers = pool.dnsServers !== undefined && pool.dnsServers.length > 0 ? pool.dnsServers : globalDnsServers;
  return { ...DISCOVERY_DEFAULTS, ...pool, dnsServers };
}
