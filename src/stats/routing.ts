// The routing table: every logical server's addresses, which of them take traffic, their health
// and counters. Served as JSON at GET /routing and as per-address series in /metrics, beside
// twemproxy's stats JSON, which stays as it is.
import type { Server } from '../backend/server.js';
import type { Address } from '../backend/address.js';

/** `active`: takes new requests; `excluded`: unhealthy, probed until it answers; `draining`: left the set. */
export type AddressState = 'active' | 'excluded' | 'draining';

export interface AddressRoute {
  address: string;
  family: 4 | 6 | 'unix';
  state: AddressState;
  healthy: boolean;
  /** Failures in a row now (dns_failure_threshold of them exclude it). */
  consecutive_failures: number;
  /** Connection failures since it joined. */
  failures: number;
  requests: number;
  responses: number;
  /** Seconds since DNS last gave it; null for an IP literal or a unix socket. */
  dns_last_seen_seconds: number | null;
  /** Smoothed round trip in microseconds (requests and latency probes); null before the first. */
  latency_us: number | null;
  /** Percent of the server's new requests it gets now (latency_weight and zones, or the even spread). */
  share_percent: number;
  /** Latency zone (zone_aware): 0 is the local zone; null when zones are off or it is not measured. */
  zone: number | null;
  /** True for the address latency routing counts as the fastest now. */
  fastest: boolean;
}

export interface ServerRoute {
  host: string;
  port: number;
  ejected: boolean;
  /** True when the pool has latency_routing: shares by latency, per request. */
  latency_routing: boolean;
  /** Why it has no address, when it has none (its name did not resolve yet). */
  unresolved: string | null;
  addresses: AddressRoute[];
}

export type RoutingTable = Record<string, { servers: Record<string, ServerRoute> }>;

/** What the routing table reads of a pool (src/proxy's Pool is one). */
export interface RoutedPool {
  readonly name: string;
  readonly servers: readonly Server[];
}

export function routingTable(pools: readonly RoutedPool[]): RoutingTable {
  const now = Date.now();
  return Object.fromEntries(pools.map((pool) => [pool.name, {
    servers: Object.fromEntries(pool.servers.map((server) => [server.name, serverRoute(server, now)])),
  }]));
}

function serverRoute(server: Server, now: number): ServerRoute {
  const routed = new Set(server.routedAddresses);
  const addresses = [
    ...server.addresses.map((address) => addressRoute(server, address, routed.has(address) ? 'active' : 'excluded')),
    ...[...server.drainingAddresses].map((address) => addressRoute(server, address, 'draining')),
  ];
  return {
    host: server.config.host, port: server.config.port, ejected: server.ejectedUntil > now, unresolved: server.unresolvedReason,
    latency_routing: server.routesByLatency, addresses,
  };
}

function addressRoute(server: Server, address: Address, state: AddressState): AddressRoute {
  const routing = state === 'draining' ? { share: 0, zone: null, fastest: false } : server.routingOf(address);
  return {
    address: address.label,
    family: address.family === 0 ? 'unix' : address.family,
    state,
    healthy: address.healthy,
    consecutive_failures: address.failureCount,
    failures: address.addressStats.failures,
    requests: address.addressStats.requests,
    responses: address.addressStats.responses,
    dns_last_seen_seconds: server.secondsSinceSeen(address) ?? null,
    latency_us: address.latencyMicros === null ? null : Math.round(address.latencyMicros),
    share_percent: Math.round(routing.share * 10) / 10,
    zone: routing.zone,
    fastest: routing.fastest,
  };
}

/**
 * The routing tables of several workers as one: an address's counters summed, healthy and active
 * when every worker that has it says so, its failures in a row the most any worker counts, its
 * latency the highest a worker measures and its share the mean of the workers' (each worker
 * splits its own clients' requests).
 */
export function sumRouting(tables: readonly RoutingTable[]): RoutingTable {
  const sum: RoutingTable = {};
  const workers = new Map<AddressRoute, number>();
  for (const table of tables) {
    for (const [poolName, { servers }] of Object.entries(table)) {
      const pool = (sum[poolName] ??= { servers: {} });
      for (const [serverName, route] of Object.entries(servers)) {
        const into = pool.servers[serverName];
        if (into === undefined) pool.servers[serverName] = { ...route, addresses: route.addresses.map((address) => ({ ...address })) };
        else addServerRoute(into, route, workers);
      }
    }
  }
  for (const [address, count] of workers) address.share_percent = Math.round((address.share_percent / count) * 10) / 10;
  return sum;
}

function addServerRoute(into: ServerRoute, route: ServerRoute, workers: Map<AddressRoute, number>): void {
  into.ejected ||= route.ejected;
  into.unresolved ??= route.unresolved;
  for (const address of route.addresses) {
    const target = into.addresses.find((candidate) => candidate.address === address.address);
    if (target === undefined) {
      into.addresses.push({ ...address });
      continue;
    }
    if (address.state !== 'active') target.state = address.state;
    target.healthy &&= address.healthy;
    target.consecutive_failures = Math.max(target.consecutive_failures, address.consecutive_failures);
    target.failures += address.failures;
    target.requests += address.requests;
    target.responses += address.responses;
    target.dns_last_seen_seconds = minSeen(target.dns_last_seen_seconds, address.dns_last_seen_seconds);
    target.latency_us = address.latency_us === null ? target.latency_us : Math.max(target.latency_us ?? 0, address.latency_us);
    target.share_percent += address.share_percent;
    target.fastest &&= address.fastest;
    workers.set(target, (workers.get(target) ?? 1) + 1);
  }
}

function minSeen(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

export interface AddressSeries {
  name: string;
  gauge: boolean;
  help: string;
  samples: { labels: { pool: string; server: string; address: string }; value: number }[];
}

/** Prometheus series, one sample per address, for each per-address metric. */
export function routingMetrics(table: RoutingTable): AddressSeries[] {
  const series = (pick: (route: AddressRoute) => number | null): AddressSeries['samples'] => {
    const samples: AddressSeries['samples'] = [];
    for (const [pool, { servers }] of Object.entries(table)) {
      for (const [server, { addresses }] of Object.entries(servers)) {
        for (const route of addresses) {
          const value = pick(route);
          if (value !== null) samples.push({ labels: { pool, server, address: route.address }, value });
        }
      }
    }
    return samples;
  };
  return [
    { name: 'nutcracker_address_active', gauge: true, help: '1 when the address takes new requests', samples: series((r) => (r.state === 'active' ? 1 : 0)) },
    { name: 'nutcracker_address_draining', gauge: true, help: '1 when the address left DNS and finishes its requests in flight', samples: series((r) => (r.state === 'draining' ? 1 : 0)) },
    { name: 'nutcracker_address_healthy', gauge: true, help: '1 when the address is healthy (fewer than dns_failure_threshold failures in a row)', samples: series((r) => (r.healthy ? 1 : 0)) },
    { name: 'nutcracker_address_consecutive_failures', gauge: true, help: 'failures in a row of the address now', samples: series((r) => r.consecutive_failures) },
    { name: 'nutcracker_address_failures_total', gauge: false, help: 'connection failures of the address', samples: series((r) => r.failures) },
    { name: 'nutcracker_address_requests_total', gauge: false, help: 'requests sent to the address', samples: series((r) => r.requests) },
    { name: 'nutcracker_address_responses_total', gauge: false, help: 'responses from the address', samples: series((r) => r.responses) },
    { name: 'nutcracker_address_latency_microseconds', gauge: true, help: 'smoothed round trip of the address (requests and latency probes)', samples: series((r) => r.latency_us) },
    { name: 'nutcracker_address_share_percent', gauge: true, help: "percent of its server's new requests the address gets", samples: series((r) => r.share_percent) },
    { name: 'nutcracker_address_zone', gauge: true, help: 'latency zone of the address (0 = local; zone_aware only)', samples: series((r) => r.zone) },
    { name: 'nutcracker_address_fastest', gauge: true, help: '1 for the address latency routing counts as the fastest', samples: series((r) => (r.fastest ? 1 : 0)) },
    { name: 'nutcracker_address_dns_last_seen_seconds', gauge: true, help: 'seconds since DNS last answered the address', samples: series((r) => r.dns_last_seen_seconds) },
  ];
}
