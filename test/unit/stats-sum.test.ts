// Stats summed over workers: one proxy's document from each worker's plain counters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PoolStats, ServerStats } from '../../src/stats/counters.js';
import { sumStats, type StatsData } from '../../src/stats/report.js';

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
    assert.deepEqual(sumStats([]), { totalConnections: 0, currentConnections: 0, pools: [] });
  });
});
