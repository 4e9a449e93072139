// A managed cache's failover as the proxy sees it under cache_mode: two real redis-servers, one
// primary and one replica, behind a primary name that dnsmasq serves. Under a continuous write
// load the test swaps their roles (REPLICAOF) and points the name at the new primary; the old
// primary's -READONLY replies make the proxy look the name up at once, and the writes go on on
// the new primary, in each client's order. The failed writes and the longest stall are measured
// and printed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RedisServer } from '../helpers/redis-server.js';
import { Nutcracker } from '../helpers/nutcracker.js';
import { Dnsmasq } from '../helpers/dnsmasq.js';
import { Redis as IORedis } from 'ioredis';
import { portFreeOn, waitFor } from '../helpers/ports.js';
import { ClientLoops } from '../helpers/client-loops.js';

const OLD_PRIMARY = '127.0.0.2';
const NEW_PRIMARY = '127.0.0.3';
const WRITERS = 4;
const PIPELINE = 5;

/**
 * ioredis clients that each write their own key in pipelines: SET it to the next value, then GET
 * it, PIPELINE times, until stopped. A GET that does not return the value its client just set
 * would mean that the client's requests ran out of order.
 */
class Writers {
  ok = 0;
  readonly failures: string[] = [];
  /** The last value each writer's SET was acknowledged for. */
  readonly acknowledged: number[] = new Array(WRITERS).fill(0);
  /** Longest time (ms) one pipeline waited for its replies. */
  longestWrite = 0;
  private readonly traffic: ClientLoops<IORedis>;

  constructor(clients: IORedis[]) {
    for (const client of clients) client.on('error', () => undefined);
    this.traffic = new ClientLoops(clients, (client) => client.disconnect());
  }

  static connect(port: number): Writers {
    return new Writers(Array.from({ length: WRITERS }, () => new IORedis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0 })));
  }

  start(): void {
    this.traffic.start((client, index) => this.run(client, index));
  }

  private async run(client: IORedis, index: number): Promise<void> {
    const stopAt = Date.now() + 60_000;
    const key = `failover:${index}`;
    for (let value = 1; this.traffic.running && value < 10_000_000 && Date.now() < stopAt; value += PIPELINE) {
      const pipeline = client.pipeline();
      for (let step = 0; step < PIPELINE; step++) pipeline.set(key, String(value + step)).get(key);
      const sent = Date.now();
      const results = (await pipeline.exec().catch((err: Error) => [[err, null]])) ?? [];
      this.longestWrite = Math.max(this.longestWrite, Date.now() - sent);
      results.forEach(([err, reply], at) => {
        const expected = String(value + Math.floor(at / 2));
        if (err) this.failures.push(err.message);
        else if (at % 2 === 1 && reply !== expected) this.failures.push(`GET ${key} gave ${String(reply)} after SET ${expected}`);
        else if (at % 2 === 0) {
          this.ok++;
          this.acknowledged[index] = Number(expected);
        }
      });
    }
  }

  async progress(count: number, timeoutMs = 10_000): Promise<void> {
    const target = this.ok + count;
    await waitFor(`${count} more acknowledged writes`, () => this.ok >= target, timeoutMs);
  }

  stop(): Promise<void> {
    return this.traffic.stop();
  }
}

describe('cache_mode follows a primary name through a failover', () => {
  let port = 0;
  const redis = new Map<string, RedisServer>();
  const cleanups: (() => Promise<unknown>)[] = [];

  before(async () => {
    port = await portFreeOn([OLD_PRIMARY, NEW_PRIMARY]);
    // No wait before a full sync (Redis waits 5 s for more replicas by default).
    for (const ip of [OLD_PRIMARY, NEW_PRIMARY]) redis.set(ip, await RedisServer.start({ host: ip, port, args: ['--repl-diskless-sync-delay', '0'] }));
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    for (const server of redis.values()) await server.destroy();
  });

  it('moves the writes to the new primary when the old one answers -READONLY and the name moves', async () => {
    const oldPrimary = redis.get(OLD_PRIMARY)!;
    const newPrimary = redis.get(NEW_PRIMARY)!;
    assert.equal(await newPrimary.command('REPLICAOF', OLD_PRIMARY, String(port)), '+OK\r\n');
    await waitFor('the replica to sync', async () => /master_link_status:up/.test(await newPrimary.command('INFO', 'replication')));
    const dnsmasq = await Dnsmasq.start({ 'primary.test': [OLD_PRIMARY] }, { ttl: 1 });
    cleanups.push(() => dnsmasq.stop());
    const proxy = await Nutcracker.start({
      alpha: {
        servers: [`primary.test:${port}:1 cache`],
        options: { dns_servers: [dnsmasq.address], dns_resolve_interval: 1, cache_mode: true, timeout: 3000 },
      },
    });
    cleanups.push(() => proxy.destroy());
    const writers = Writers.connect(proxy.port('alpha'));
    let swapped = 0;
    try {
      writers.start();
      await writers.progress(500);
      // The failover: the replica is promoted, the old primary follows it, then the name moves.
      swapped = Date.now();
      assert.equal(await newPrimary.command('REPLICAOF', 'NO', 'ONE'), '+OK\r\n');
      assert.equal(await oldPrimary.command('REPLICAOF', NEW_PRIMARY, String(port)), '+OK\r\n');
      await waitFor('the old primary to refuse writes', async () => (await oldPrimary.command('SET', 'probe', '1')).startsWith('-READONLY'));
      await dnsmasq.setHosts({ 'primary.test': [NEW_PRIMARY] });
      await writers.progress(500, 15_000);
    } finally {
      await writers.stop();
    }
    const recovered = writers.longestWrite;
    console.log(`# failover under ${WRITERS} ioredis clients (pipelines of ${PIPELINE} SET+GET): ${writers.ok} writes acknowledged, ${writers.failures.length} failed ` +
      `(${[...new Set(writers.failures)].join('; ') || 'none'}); longest pipeline ${recovered} ms ` +
      `(the role swap to the last write acknowledged: ${Date.now() - swapped} ms)`);
    assert.ok(writers.failures.length <= WRITERS, `at most one refused write per client, and every GET after its SET: ${writers.failures.slice(0, 20).join('\n')}`);
    for (let index = 0; index < WRITERS; index++) {
      assert.equal(await newPrimary.command('GET', `failover:${index}`), `$${String(writers.acknowledged[index]).length}\r\n${writers.acknowledged[index]}\r\n`,
        `writer ${index}'s last acknowledged write is on the new primary`);
    }
    assert.match(proxy.output, /answered -READONLY: it is a replica now/);
    assert.match(proxy.output, /the name moved: \d+ request\(s\) that waited go to the new primary/);
    assert.match(await oldPrimary.command('INFO', 'replication'), /role:slave/);
  });
});
