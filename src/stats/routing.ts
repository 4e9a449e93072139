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

/** Prometheus samples, one per address, for each per-address metric. */
export function routingMetrics(table: RoutingTable): { name: string; type: 'counter' | 'gauge'; help: string; samples: [string, number][] }[] {
  const series = (pick: (route: AddressRoute) => number | null): [string, number][] => {
    const samples: [string, number][] = [];
    for (const [pool, { servers }] of Object.entries(table)) {
      for (const [server, { addresses }] of Object.entries(servers)) {
        for (const route of addresses) {
          const value = pick(route);
          if (value !== null) samples.push([`{pool="${labelValue(pool)}",server="${labelValue(server)}",address="${labelValue(route.address)}"}`, value]);
        }
      }
    }
    return samples;
  };
  return [
    { name: 'nutcracker_address_active', type: 'gauge', help: '1 when the address takes new requests', samples: series((r) => (r.state === 'active' ? 1 : 0)) },
    { name: 'nutcracker_address_draining', type: 'gauge', help: '1 when the address left DNS and finishes its requests in flight', samples: series((r) => (r.state === 'draining' ? 1 : 0)) },
    { name: 'nutcracker_address_healthy', type: 'gauge', help: '1 when the address is healthy (fewer than dns_failure_threshold failures in a row)', samples: series((r) => (r.healthy ? 1 : 0)) },
    { name: 'nutcracker_address_consecutive_failures', type: 'gauge', help: 'failures in a row of the address now', samples: series((r) => r.consecutive_failures) },
    { name: 'nutcracker_address_failures', type: 'counter', help: 'connection failures of the address', samples: series((r) => r.failures) },
    { name: 'nutcracker_address_requests', type: 'counter', help: 'requests sent to the address', samples: series((r) => r.requests) },
    { name: 'nutcracker_address_responses', type: 'counter', help: 'responses from the address', samples: series((r) => r.responses) },
    { name: 'nutcracker_address_dns_last_seen_seconds', type: 'gauge', help: 'seconds since DNS last answered the address', samples: series((r) => r.dns_last_seen_seconds) },
  ];
}

/** A Prometheus label value: backslash, double quote and newline escaped, nothing else. */
export function labelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
