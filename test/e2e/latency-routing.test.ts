// Latency routing end to end: real redis-servers, each behind a delaying relay of its own on
// 127.0.0.2.. (one port, as the addresses of one server share the port of its line), a reader
// name that the test DNS server resolves to the relays, and clients reading through the proxy.
// Which replica served each GET is counted by the replicas themselves (INFO commandstats).
import { after, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Redis as IORedis } from 'ioredis';
import { RedisServer } from '../helpers/redis-server.js';
import { MemcachedServer, memcacheReplies } from '../helpers/memcached.js';
import { DelayRelay } from '../helpers/delay-relay.js';
import { DnsServer } from '../helpers/dns-server.js';
import { httpGet, Nutcracker } from '../helpers/nutcracker.js';
import { RawClient, encode } from '../helpers/raw-client.js';
import { portFreeOn, waitFor } from '../helpers/ports.js';

const READER = 'reader-ro.test';
/** Requests per measured split, and the tolerance on each address's share of them. */
const REQUESTS = 2000;
const TOLERANCE = 0.05;
/** The documented bound for a change of speed to move the routing (docs: 5 s), with room for a loaded machine. */
const SWITCH_BOUND_MS = 5000;
const SWITCH_WAIT_MS = SWITCH_BOUND_MS + 3000;

interface AddressRoute {
  address: string;
  healthy: boolean;
  latency_us: number | null;
  share_percent: number;
  zone: number | null;
  fastest: boolean;
}

/** A backend server and the GETs it served, as it counts them. */
interface Replica {
  readonly port: number;
  resetCounts(): Promise<void>;
  gets(): Promise<number>;
  destroy(): Promise<void>;
}

async function redisReplica(): Promise<Replica> {
  const server = await RedisServer.start();
  return {
    port: server.port,
    resetCounts: async () => void (await server.command('CONFIG', 'RESETSTAT')),
    gets: async () => Number(/cmdstat_get:calls=(\d+)/.exec(await server.command('INFO', 'commandstats'))?.[1] ?? 0),
    destroy: () => server.destroy(),
  };
}

async function memcachedReplica(): Promise<Replica> {
  const server = await MemcachedServer.start();
  return {
    port: server.port,
    resetCounts: async () => void (await server.request('stats reset\r\n')),
    gets: async () => Number(/STAT cmd_get (\d+)/.exec((await server.request('stats\r\n')).join(''))?.[1] ?? 0),
    destroy: () => server.stop(),
  };
}

/** N replicas behind relays with the given delays (ms, each direction's reply), a DNS name and a proxy. */
class Replicas {
  private constructor(
    readonly servers: Replica[],
    readonly relays: DelayRelay[],
    readonly ips: string[],
    readonly port: number,
    readonly dns: DnsServer,
    readonly proxy: Nutcracker,
  ) {}

  static async start(delaysMs: number[], options: Record<string, string | number | boolean>, newReplica = redisReplica): Promise<Replicas> {
    const ips = delaysMs.map((_, index) => `127.0.0.${index + 2}`);
    const redis: Replica[] = [];
    const relays: DelayRelay[] = [];
    let dns: DnsServer | null = null;
    try {
      for (const _ of delaysMs) redis.push(await newReplica());
      const port = await portFreeOn(ips);
      for (const [index, ip] of ips.entries()) {
        const relay = await DelayRelay.start({ host: '127.0.0.1', port: redis[index]!.port }, ip, port);
        relay.setDelay('toClient', delaysMs[index]!);
        relays.push(relay);
      }
      dns = await DnsServer.start();
      dns.answer(READER, ips, { ttl: 1 });
      const proxy = await Nutcracker.start({
        reader: { servers: [`${READER}:${port}:1 reader`], options: { dns_servers: [dns.address], latency_routing: true, ...options } },
      });
      return new Replicas(redis, relays, ips, port, dns, proxy);
    } catch (err) {
      await Promise.all([...relays.map((relay) => relay.close()), ...redis.map((server) => server.destroy()), dns?.stop()]);
      throw err;
    }
  }

  /** The server's addresses in GET /routing, in the order of `ips`. */
  async routing(): Promise<(AddressRoute | undefined)[]> {
    const table = JSON.parse(await httpGet(this.proxy.statsPort, '/routing')) as
      { pools: Record<string, { servers: Record<string, { addresses: AddressRoute[] }> }> };
    const addresses = table.pools.reader!.servers.reader!.addresses;
    return this.ips.map((ip) => addresses.find((route) => route.address === `${ip}:${this.port}`));
  }

  /** Waits until every address is measured and `ip` is the fastest. */
  async waitForFastest(index: number, timeoutMs = SWITCH_WAIT_MS): Promise<void> {
    let last: unknown = null;
    await waitFor(`${this.ips[index]} as the fastest`, async () => {
      const routes = await this.routing();
      last = routes;
      return routes.every((route) => route !== undefined && route.latency_us !== null) && routes[index]?.fastest === true;
    }, timeoutMs).catch((err: Error) => {
      throw new Error(`${err.message}; routing: ${JSON.stringify(last)}`);
    });
  }

  async resetCounts(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.resetCounts()));
  }

  /** GETs each replica served since the last reset. */
  async counts(): Promise<number[]> {
    return Promise.all(this.servers.map((server) => server.gets()));
  }

  async close(): Promise<void> {
    await this.proxy.destroy();
    await Promise.all([...this.relays.map((relay) => relay.close()), ...this.servers.map((server) => server.destroy()), this.dns.stop()]);
  }
}

/** Sends `total` GETs through the proxy from 4 clients, 25 in flight each; returns the number that failed. */
async function readThrough(port: number, total: number): Promise<number> {
  const clients = Array.from({ length: 4 }, () => new IORedis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0 }));
  let failed = 0;
  try {
    await Promise.all(clients.map(async (client) => {
      for (let sent = 0; sent < total / clients.length; sent += 25) {
        const pipeline = client.pipeline();
        for (let i = 0; i < 25; i++) pipeline.get(`key:${i}`);
        const results = (await pipeline.exec()) ?? [];
        failed += results.filter(([err]) => err !== null).length;
      }
    }));
  } finally {
    for (const client of clients) client.disconnect();
  }
  return failed;
}

/** Sends `total` memcached gets through the proxy from one client, 50 in flight; returns the number that failed. */
async function memcacheReadThrough(port: number, total: number): Promise<number> {
  const client = await RawClient.connect(port);
  let failed = 0;
  try {
    for (let sent = 0; sent < total; sent += 50) {
      client.write('get key\r\n'.repeat(50));
      const replies = await memcacheReplies(client, sent + 50);
      failed += replies.slice(sent).filter((reply) => reply !== 'END\r\n').length + (sent + 50 - replies.length);
    }
  } finally {
    client.close();
  }
  return failed;
}

/** Asserts that each replica served its expected percent of REQUESTS, within TOLERANCE. */
async function assertSplit(replicas: Replicas, expectedPercent: number[], t: TestContext, read = readThrough): Promise<void> {
  await replicas.resetCounts();
  assert.equal(await read(replicas.proxy.port('reader'), REQUESTS), 0);
  const counts = await replicas.counts();
  const total = counts.reduce((a, b) => a + b, 0);
  assert.equal(total, REQUESTS, `every GET reached a replica: ${counts}`);
  for (const [index, percent] of expectedPercent.entries()) {
    assert.ok(Math.abs(counts[index]! / total - percent / 100) <= TOLERANCE,
      `replica ${index} served ${counts[index]} of ${total}, expected ${percent}% (counts ${counts.join(', ')})`);
  }
  t.diagnostic(`GETs per replica, expected ${expectedPercent.join('/')}%: ${counts.join(', ')}`);
}

describe('latency routing', { timeout: 120_000 }, () => {
  const started: Replicas[] = [];
  const start = async (delays: number[], options: Record<string, string | number | boolean>, newReplica = redisReplica): Promise<Replicas> => {
    const replicas = await Replicas.start(delays, options, newReplica);
    started.push(replicas);
    return replicas;
  };
  after(async () => {
    await Promise.all(started.map((replicas) => replicas.close()));
  });

  it('latency_weight 80 over three replicas (1, 5, 20 ms): 80% to the fastest, 10% to each other', async (t) => {
    const replicas = await start([5, 1, 20], { latency_weight: 80 });
    await replicas.waitForFastest(1);
    await assertSplit(replicas, [10, 80, 10], t);
    const routes = await replicas.routing();
    assert.deepEqual(routes.map((route) => route!.share_percent), [10, 80, 10]);
    const metrics = await httpGet(replicas.proxy.statsPort, '/metrics');
    assert.match(metrics, new RegExp(`^nutcracker_address_share_percent\\{pool="reader",server="reader",address="127\\.0\\.0\\.3:${replicas.port}"\\} 80$`, 'm'));
    assert.match(metrics, new RegExp(`^nutcracker_address_fastest\\{pool="reader",server="reader",address="127\\.0\\.0\\.3:${replicas.port}"\\} 1$`, 'm'));
    assert.match(metrics, /^nutcracker_address_latency_microseconds\{pool="reader",server="reader",address="127\.0\.0\.2:\d+"\} \d+$/m);
    assert.match(replicas.proxy.output,
      /selected best address \d for 'reader' \(latency: \d+us, failures: 0, weight: 80%\): 127\.0\.0\.3:\d+ of pool 'reader'/);
  });

  it('latency_weight 50 over six replicas: 50% to the fastest and 10% to each of the five others', async (t) => {
    const replicas = await start([6, 9, 1, 12, 15, 18], { latency_weight: 50 });
    await replicas.waitForFastest(2);
    await assertSplit(replicas, [10, 10, 50, 10, 10, 10], t);
  });

  it('zone_aware with two latency groups: the local zone gets zone_weight more, then shares are normalised', async (t) => {
    // latency_weight 40 over 4: 40, 20, 20, 20; local zone (1 and 2 ms) x2: 80, 40, 20, 20 of 160.
    const replicas = await start([1, 2, 30, 31], { latency_weight: 40, zone_aware: true, zone_weight: 100, zone_latency_threshold: 10000 });
    await replicas.waitForFastest(0);
    await waitFor('two zones', async () => (await replicas.routing()).map((route) => route!.zone).join() === '0,0,1,1', SWITCH_WAIT_MS);
    await assertSplit(replicas, [50, 25, 12.5, 12.5], t);
  });

  it('latency_weight 100: all to the fastest; slowed, killed and recovered, the traffic moves and comes back', async (t) => {
    const replicas = await start([1, 8, 15], { latency_weight: 100 });
    await replicas.waitForFastest(0);
    await assertSplit(replicas, [100, 0, 0], t);

    // The fastest turns slow: the routing moves within the documented bound.
    replicas.relays[0]!.setDelay('toClient', 25);
    const slowedAt = Date.now();
    await replicas.waitForFastest(1);
    const movedAfterMs = Date.now() - slowedAt;
    assert.ok(movedAfterMs <= SWITCH_WAIT_MS, `moved after ${movedAfterMs} ms`);
    t.diagnostic(`the routing moved ${movedAfterMs} ms after the fastest turned slow`);
    await assertSplit(replicas, [0, 100, 0], t);

    // The fastest is killed under load: only requests in flight on it may fail, the rest move.
    await replicas.resetCounts();
    const load = readThrough(replicas.proxy.port('reader'), 4 * REQUESTS);
    await waitFor('load under way', async () => (await replicas.counts())[1]! > 200, 5000);
    await replicas.relays[1]!.close();
    const failed = await load;
    assert.ok(failed <= 4 * 25 * 3, `${failed} GETs failed (4 clients with 25 in flight each, over at most 3 failures in a row)`);
    t.diagnostic(`${failed} of ${4 * REQUESTS} GETs failed when the fastest was killed`);
    const afterKill = await replicas.counts();
    assert.ok(afterKill[2]! > 0, `the next fastest took over: ${afterKill}`);
    await replicas.waitForFastest(2);
    await assertSplit(replicas, [0, 0, 100], t);
    assert.equal((await replicas.routing())[1]!.share_percent, 0);

    // The killed replica comes back, as the fastest: once healthy again and measured, it wins the traffic back.
    replicas.relays[1] = await DelayRelay.start({ host: '127.0.0.1', port: replicas.servers[1]!.port }, replicas.ips[1], replicas.port);
    const restartedAt = Date.now();
    await replicas.waitForFastest(1);
    t.diagnostic(`the recovered replica was the fastest again after ${Date.now() - restartedAt} ms`);
    await assertSplit(replicas, [0, 100, 0], t);
  });

  it('memcached: latency_weight 100 over two memcached servers sends every get to the fast one (probed with version)', async (t) => {
    const replicas = await start([10, 1], { redis: false, latency_weight: 100 }, memcachedReplica);
    await replicas.waitForFastest(1);
    await assertSplit(replicas, [0, 100], t, memcacheReadThrough);
  });

  it('a pipelining client spread over three replicas gets every reply in the order it sent its requests', async () => {
    const replicas = await start([4, 1, 8], { latency_weight: 34 });
    // The same keys on every replica, each with its own value.
    for (const server of replicas.servers) {
      const client = await RawClient.connect(server.port);
      const sets: Buffer[] = [];
      for (let i = 0; i < 300; i++) sets.push(encode('SET', `order:${i}`, `value-${i}`));
      client.write(Buffer.concat(sets));
      await client.replies(300);
      client.close();
    }
    await replicas.waitForFastest(1);
    await replicas.resetCounts();
    const client = await RawClient.connect(replicas.proxy.port('reader'));
    try {
      const gets: Buffer[] = [];
      for (let i = 0; i < 300; i++) gets.push(encode('GET', `order:${i}`));
      client.write(Buffer.concat(gets));
      const replies = await client.replies(300);
      assert.deepEqual(replies, Array.from({ length: 300 }, (_, i) => `$${`value-${i}`.length}\r\nvalue-${i}\r\n`));
    } finally {
      client.close();
    }
    const counts = await replicas.counts();
    assert.ok(counts.every((count) => count >= 50), `the one client's requests went to every replica: ${counts}`);
  });
});
