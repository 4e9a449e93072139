// The routing table: every logical server's addresses, which of them take traffic, their health
// and counters. Served as JSON at GET /routing and as per-address series in /metrics, beside
// twemproxy's stats JSON, which stays as it is.
import type { Pool } from '../proxy/pool.js';
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
}

export interface ServerRoute {
  host: string;
  port: number;
  ejected: boolean;
  /** Why it has no address, when it has none (its name did not resolve yet). */
  unresolved: string | null;
  addresses: AddressRoute[];
}

export type RoutingTable = Record<string, { servers: Record<string, ServerRoute> }>;

export function routingTable(pools: readonly Pool[]): RoutingTable {
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
  return { host: server.config.host, port: server.config.port, ejected: server.ejectedUntil > now, unresolved: server.unresolvedReason, addresses };
}

function addressRoute(server: Server, address: Address, state: AddressState): AddressRoute {
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
  };
}

/**
 * The routing tables of several workers as one: an address's counters summed, healthy and active
 * when every worker that has it says so, its failures in a row the most any worker counts.
 */
export function sumRouting(tables: readonly RoutingTable[]): RoutingTable {
  const sum: RoutingTable = {};
  for (const table of tables) {
    for (const [poolName, { servers }] of Object.entries(table)) {
      const pool = (sum[poolName] ??= { servers: {} });
      for (const [serverName, route] of Object.entries(servers)) {
        const into = pool.servers[serverName];
        if (into === undefined) pool.servers[serverName] = { ...route, addresses: route.addresses.map((address) => ({ ...address })) };
        else addServerRoute(into, route);
      }
    }
  }
  return sum;
}

function addServerRoute(into: ServerRoute, route: ServerRoute): void {
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
    { name: 'nutcracker_address_dns_last_seen_seconds', gauge: true, help: 'seconds since DNS last answered the address', samples: series((r) => r.dns_last_seen_seconds) },
  ];
}
