// Stats summed over workers: one proxy's document from each worker's plain counters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PoolStats, ServerStats } from '../../src/stats/counters.js';
import { sumStats, type StatsData } from '../../src/stats/report.js';
import { sumRouting, type AddressRoute, type RoutingTable } from '../../src/stats/routing.js';

function worker(requests: number, ejectedAt: number, clients: number): StatsData {
  const server = Object.assign(new ServerStats(), { requests, server_ejected_at: ejectedAt, server_connections: 1 });
  return {
    totalConnections: clients + 1,
    currentConnections: clients,
    pools: [{ name: 'alpha', stats: Object.assign(new PoolStats(), { client_connections: clients }), servers: [{ name: 'one', stats: server }] }],
    routing: {},
  };
}

describe('sumStats', () => {
  it('sums counters and gauges, keeps the latest server_ejected_at, and leaves its inputs alone', () => {
    const parts = [worker(10, 5_000_000, 2), worker(32, 9_000_000, 3)];
    const sum = sumStats(parts);
    assert.equal(sum.totalConnections, 7);
    assert.equal(sum.currentConnections, 5);
    assert.equal(sum.pools.length, 1);
    assert.equal(sum.pools[0]!.stats.client_connections, 5);
    const server = sum.pools[0]!.servers[0]!.stats;
    assert.equal(server.requests, 42);
    assert.equal(server.server_connections, 2);
    assert.equal(server.server_ejected_at, 9_000_000);
    assert.equal(parts[0]!.pools[0]!.servers[0]!.stats.requests, 10, 'the first worker\'s counters are not changed');
  });

  it('matches pools and servers by name, keeping one that only some workers have (during a reload)', () => {
    const reloaded = worker(1, 0, 0);
    reloaded.pools.push({ name: 'beta', stats: new PoolStats(), servers: [{ name: 'two', stats: Object.assign(new ServerStats(), { requests: 4 }) }] });
    const sum = sumStats([worker(2, 0, 0), reloaded]);
    assert.deepEqual(sum.pools.map((pool) => pool.name), ['alpha', 'beta']);
    assert.equal(sum.pools[0]!.servers[0]!.stats.requests, 3);
    assert.equal(sum.pools[1]!.servers[0]!.stats.requests, 4);
  });

  it('of no worker is an empty document', () => {
    assert.deepEqual(sumStats([]), { totalConnections: 0, currentConnections: 0, pools: [], routing: {} });
  });
});

describe('sumRouting', () => {
  function route(address: string, fields: Partial<AddressRoute>): AddressRoute {
    return {
      address, family: 4, state: 'active', healthy: true, consecutive_failures: 0, failures: 0, requests: 0, responses: 0,
      dns_last_seen_seconds: 5, latency_us: null, share_percent: 50, zone: null, fastest: false, ...fields,
    };
  }
  function table(ejected: boolean, ...addresses: AddressRoute[]): RoutingTable {
    return { alpha: { servers: { shard: { host: 'cache.test', port: 6379, ejected, latency_routing: true, unresolved: null, addresses } } } };
  }

  it('sums an address\'s counters; it is healthy and active only when every worker says so', () => {
    const first = table(false, route('10.0.0.1:6379', { requests: 3, responses: 3, dns_last_seen_seconds: 9 }),
      route('10.0.0.2:6379', { requests: 1 }));
    const second = table(true, route('10.0.0.1:6379', { requests: 4, responses: 2, healthy: false, state: 'excluded', consecutive_failures: 3, failures: 3, dns_last_seen_seconds: 2 }),
      route('10.0.0.3:6379', { requests: 7 }));
    const shard = sumRouting([first, second]).alpha!.servers.shard!;
    assert.equal(shard.ejected, true);
    assert.deepEqual(shard.addresses.map((a) => [a.address, a.requests, a.state, a.healthy]), [
      ['10.0.0.1:6379', 7, 'excluded', false], ['10.0.0.2:6379', 1, 'active', true], ['10.0.0.3:6379', 7, 'active', true],
    ]);
    const one = shard.addresses[0]!;
    assert.deepEqual([one.responses, one.consecutive_failures, one.failures, one.dns_last_seen_seconds], [5, 3, 3, 2]);
    assert.equal(first.alpha!.servers.shard!.addresses[0]!.requests, 3, 'the first worker\'s table is not changed');
  });

  it('takes the highest latency a worker measures and the mean of the workers\' shares', () => {
    const first = table(false, route('10.0.0.1:6379', { latency_us: 900, share_percent: 80, fastest: true }), route('10.0.0.2:6379', { share_percent: 20 }));
    const second = table(false, route('10.0.0.1:6379', { latency_us: 1500, share_percent: 60, fastest: true }), route('10.0.0.2:6379', { latency_us: 40, share_percent: 40 }));
    const [one, two] = sumRouting([first, second]).alpha!.servers.shard!.addresses;
    assert.deepEqual([one!.latency_us, one!.share_percent, one!.fastest], [1500, 70, true]);
    assert.deepEqual([two!.latency_us, two!.share_percent, two!.fastest], [40, 30, false]);
  });
});
