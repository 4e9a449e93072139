// A server written as a host name follows DNS under load: real redis-servers on 127.0.0.2..5 (one
// port, one per address), a name served by dnsmasq (a hosts file rewritten and reloaded) or by the
// project's DNS server (rotation, failures), and clients that keep writing and reading through
// the proxy. The proxy's GET /routing shows which address took how many requests.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis as IORedis } from 'ioredis';
import { RedisServer } from '../helpers/redis-server.js';
import { httpGet, Nutcracker, readStats } from '../helpers/nutcracker.js';
import { DnsServer } from '../helpers/dns-server.js';
import { Dnsmasq } from '../helpers/dnsmasq.js';
import { RawClient } from '../helpers/raw-client.js';
import { MemcachedServer, memcacheRequest } from '../helpers/memcached.js';
import { portFreeOn, waitFor } from '../helpers/ports.js';
import { ClientLoops } from '../helpers/client-loops.js';

const IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const CLIENTS = 8;
const PIPELINE = 10;

interface AddressRoute {
  address: string;
  state: string;
  healthy: boolean;
  requests: number;
  dns_last_seen_seconds: number | null;
}

/** The addresses of the pool's one server in GET /routing, by IP. */
async function routing(proxy: Nutcracker, pool = 'alpha'): Promise<Record<string, AddressRoute>> {
  const table = JSON.parse(await httpGet(proxy.statsPort, '/routing')) as { pools: Record<string, { servers: Record<string, { addresses: AddressRoute[] }> }> };
  const [server] = Object.values(table.pools[pool]!.servers);
  return Object.fromEntries(server!.addresses.map((route) => [route.address.split(':')[0]!, route]));
}

/** Clients writing and reading through the proxy in pipelines of PIPELINE, until stopped. */
class Load {
  ok = 0;
  failed = 0;
  readonly errors: string[] = [];
  private readonly traffic: ClientLoops<IORedis>;

  constructor(port: number) {
    const clients = Array.from({ length: CLIENTS }, () => new IORedis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, enableOfflineQueue: true }));
    for (const client of clients) client.on('error', () => undefined);
    this.traffic = new ClientLoops(clients, (client) => client.disconnect());
    this.traffic.start((client, index) => this.run(client, index));
  }

  private async run(client: IORedis, index: number): Promise<void> {
    for (let turn = 0; this.traffic.running && turn < 1_000_000; turn++) {
      const pipeline = client.pipeline();
      for (let i = 0; i < PIPELINE / 2; i++) pipeline.set(`{c${index}}:${i}`, `v${turn}`).get(`{c${index}}:${i}`);
      const results = (await pipeline.exec().catch((err: Error) => [[err, null]])) ?? [];
      for (const [err] of results) {
        if (err) {
          this.failed++;
          if (this.errors.length < 20) this.errors.push(err.message);
        } else this.ok++;
      }
    }
  }

  /** Waits until `count` more requests succeeded. */
  async progress(count: number, timeoutMs = 10000): Promise<void> {
    const target = this.ok + count;
    await waitFor(`${count} more requests`, () => this.ok >= target, timeoutMs);
  }

  stop(): Promise<void> {
    return this.traffic.stop();
  }
}

describe('a server named by DNS, under load', () => {
  let port = 0;
  const redis = new Map<string, RedisServer>();
  const cleanups: (() => Promise<unknown>)[] = [];

  before(async () => {
    port = await portFreeOn(IPS);
    for (const ip of IPS) redis.set(ip, await RedisServer.start({ host: ip, port }));
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    for (const server of redis.values()) await server.destroy();
  });

  async function proxyFor(host: string, nameserver: string, options: Record<string, string | number | boolean> = {}): Promise<Nutcracker> {
    const proxy = await Nutcracker.start({
      alpha: { servers: [`${host}:${port}:1 shard`], options: { dns_servers: [nameserver], server_connections: 2, ...options } },
    });
    cleanups.push(() => proxy.destroy());
    return proxy;
  }

  it('spreads over 3 addresses, gives a 4th traffic within interval + 1 s, and drains a removed one: no failed request', async () => {
    const dnsmasq = await Dnsmasq.start({ 'cache.test': IPS.slice(0, 3) }, { ttl: 1 });
    cleanups.push(() => dnsmasq.stop());
    const proxy = await proxyFor('cache.test', dnsmasq.address, { dns_resolve_interval: 1 });
    const load = new Load(proxy.port('alpha'));
    try {
      await load.progress(3000);
      await waitFor('traffic on all 3 addresses', async () => {
        const table = await routing(proxy);
        return IPS.slice(0, 3).every((ip) => (table[ip]?.requests ?? 0) > 0);
      });
      await dnsmasq.setHosts({ 'cache.test': IPS });
      const added = Date.now();
      await waitFor('traffic on the 4th address', async () => ((await routing(proxy))[IPS[3]!]?.requests ?? 0) > 0, 2000 + 1000);
      const joinMs = Date.now() - added;
      console.log(`# a 4th address got traffic ${joinMs} ms after DNS changed (dns_resolve_interval 1 s)`);
      await load.progress(2000);
      await dnsmasq.setHosts({ 'cache.test': IPS.slice(1) });
      await waitFor('the removed address to be drained', async () => (await routing(proxy))[IPS[0]!] === undefined, 4000);
      const before = (await routing(proxy))[IPS[1]!]!.requests;
      await load.progress(2000);
      await waitFor('the others to keep taking traffic', async () => (await routing(proxy))[IPS[1]!]!.requests > before);
      assert.match(proxy.output + (await readLog(proxy)), /resolved 'cache\.test' to 4 addresses: .*\(joined: 127\.0\.0\.5:\d+\)/);
    } finally {
      await load.stop();
    }
    console.log(`# ${load.ok} requests, ${load.failed} failed while an address joined and one left`);
    assert.equal(load.failed, 0, load.errors.join('\n'));
  });

  it('a reader endpoint that answers one address per lookup yields all replicas, each kept until it expires', async () => {
    const dns = await DnsServer.start();
    cleanups.push(() => dns.stop());
    dns.answer('cache-ro.test', IPS.slice(0, 3), { pick: 'round-robin', ttl: 1 });
    const proxy = await proxyFor('cache-ro.test', dns.address, { dns_resolve_interval: 1, dns_expiration_minutes: '0.05' });
    const load = new Load(proxy.port('alpha'));
    try {
      await waitFor('all 3 replicas', async () => Object.keys(await routing(proxy)).length === 3, 6000);
      await waitFor('traffic on all 3', async () => Object.values(await routing(proxy)).every((route) => route.requests > 0));
      dns.answer('cache-ro.test', IPS.slice(1, 3), { pick: 'round-robin', ttl: 1 });
      // It stays while it was seen less than dns_expiration_minutes (3 s) ago, and takes traffic.
      let oldestSeen = 0;
      await waitFor('the replica gone from DNS to expire', async () => {
        const route = (await routing(proxy))[IPS[0]!];
        if (route !== undefined) oldestSeen = Math.max(oldestSeen, route.dns_last_seen_seconds!);
        return route === undefined;
      }, 8000);
      assert.ok(oldestSeen >= 2, `a healthy replica stays until 3 s after it was last seen (left when last seen ${oldestSeen} s ago)`);
    } finally {
      await load.stop();
    }
    assert.equal(load.failed, 0, load.errors.join('\n'));
  });

  it('a replica gone from DNS whose redis-server is down leaves at once', async () => {
    const dns = await DnsServer.start();
    cleanups.push(() => dns.stop());
    dns.answer('down-ro.test', IPS.slice(0, 3));
    const proxy = await proxyFor('down-ro.test', dns.address, { dns_resolve_interval: 1, dns_expiration_minutes: 10, dns_failure_threshold: 2 });
    const load = new Load(proxy.port('alpha'));
    const victim = redis.get(IPS[2]!)!;
    let stopped = false;
    try {
      await waitFor('traffic on all 3', async () => Object.values(await routing(proxy)).filter((route) => route.requests > 0).length === 3);
      await victim.stop();
      stopped = true;
      await waitFor('the stopped replica to be unhealthy', async () => (await routing(proxy))[IPS[2]!]?.healthy === false, 5000);
      dns.answer('down-ro.test', IPS.slice(0, 2));
      await waitFor('the stopped replica to leave', async () => (await routing(proxy))[IPS[2]!] === undefined, 3000);
    } finally {
      await load.stop();
      if (stopped) await victim.run();
    }
    console.log(`# ${load.failed} of ${load.ok + load.failed} requests failed when a replica's redis-server stopped (threshold 2)`);
  });

  it('excludes an address whose redis-server is killed after dns_failure_threshold failures, and takes it back once it answers a probe', async () => {
    const dns = await DnsServer.start();
    cleanups.push(() => dns.stop());
    dns.answer('kill.test', IPS.slice(0, 3));
    // With a failure limit of 1, a failure charged to the server would eject it at once.
    const proxy = await proxyFor('kill.test', dns.address, { dns_resolve_interval: 1, dns_failure_threshold: 3, auto_eject_hosts: true, server_failure_limit: 1 });
    const load = new Load(proxy.port('alpha'));
    const victim = redis.get(IPS[1]!)!;
    let restarted = 0;
    try {
      await waitFor('traffic on all 3', async () => Object.values(await routing(proxy)).filter((route) => route.requests > 0).length === 3);
      await victim.stop();
      await waitFor('the killed address to be excluded', async () => (await routing(proxy))[IPS[1]!]?.state === 'excluded', 5000);
      const failedWhenExcluded = load.failed;
      await load.progress(3000);
      assert.equal(load.failed, failedWhenExcluded, 'no request fails once the address is excluded');
      assert.equal((await readStats(proxy.statsPort) as { alpha: { server_ejects: number } }).alpha.server_ejects, 0,
        'one failing address does not eject its server while the others are healthy');
      console.log(`# ${failedWhenExcluded} requests failed before the killed address was excluded (threshold 3, ${CLIENTS} clients x ${PIPELINE} deep)`);
      await victim.run();
      restarted = Date.now();
      await waitFor('the restarted address to take traffic again', async () => (await routing(proxy))[IPS[1]!]?.state === 'active', 5000);
      console.log(`# the restarted address was back ${Date.now() - restarted} ms after its redis-server answered`);
      const back = (await routing(proxy))[IPS[1]!]!.requests;
      await waitFor('requests on it', async () => (await routing(proxy))[IPS[1]!]!.requests > back);
      assert.match(await readLog(proxy), /address 127\.0\.0\.3:\d+ of server 'shard' of pool 'alpha' is unhealthy after 3 failures in a row/);
      assert.match(await readLog(proxy), /address 127\.0\.0\.3:\d+ of server 'shard' of pool 'alpha' is healthy again/);
    } finally {
      await load.stop();
      if (restarted === 0) await victim.run();
    }
  });

  it('moves writes at once when a primary name is switched to another IP, and keeps the last set while DNS is down', async () => {
    const dns = await DnsServer.start();
    let dnsRunning = true;
    cleanups.push(async () => dnsRunning && dns.stop());
    dns.answer('primary.test', [IPS[0]!]);
    const proxy = await proxyFor('primary.test', dns.address, { dns_resolve_interval: 1, dns_cache_negative_ttl: 1 });
    const load = new Load(proxy.port('alpha'));
    try {
      await load.progress(1000);
      dns.answer('primary.test', [IPS[1]!]);
      await waitFor('the switch', async () => Object.keys(await routing(proxy)).join() === IPS[1], 3000);
      const client = await RawClient.connect(proxy.port('alpha'));
      try {
        assert.equal(await client.command('SET', 'after-switch', 'yes'), '+OK\r\n');
      } finally {
        client.close();
      }
      assert.equal(await redis.get(IPS[1]!)!.command('GET', 'after-switch'), '$3\r\nyes\r\n');
      assert.equal(await redis.get(IPS[0]!)!.command('EXISTS', 'after-switch'), ':0\r\n');
      await dns.stop();
      dnsRunning = false;
      await waitFor('a failed lookup in the log', async () => /DNS lookup of 'primary\.test' failed: .*keeping its 1 known address/.test(await readLog(proxy)), 5000);
      await load.progress(2000);
      assert.equal(Object.keys(await routing(proxy)).join(), IPS[1]);
    } finally {
      await load.stop();
    }
    assert.equal(load.failed, 0, load.errors.join('\n'));
  });

  it('runs a transaction on one address of a named server (its dedicated connection)', async () => {
    const dns = await DnsServer.start();
    cleanups.push(() => dns.stop());
    dns.answer('tx.test', IPS.slice(0, 2));
    const proxy = await proxyFor('tx.test', dns.address);
    const clients = await Promise.all([0, 1, 2, 3].map(() => RawClient.connect(proxy.port('alpha'))));
    try {
      for (const [index, client] of clients.entries()) {
        assert.equal(await client.command('MULTI'), '+OK\r\n');
        assert.equal(await client.command('SET', `tx:${index}`, 'v'), '+QUEUED\r\n');
        assert.equal(await client.command('INCR', `tx:n:${index}`), '+QUEUED\r\n');
        assert.equal(await client.command('EXEC'), '*2\r\n+OK\r\n:1\r\n');
      }
      await waitFor('per-address series in /metrics', async () => {
        const metrics = await httpGet(proxy.statsPort, '/metrics');
        return IPS.slice(0, 2).every((ip) => new RegExp(`^nutcracker_address_requests_total\\{pool="alpha",server="shard",address="${ip.replace(/\./g, '\\.')}:${port}"\\} [1-9]`, 'm').test(metrics)) &&
          /^nutcracker_address_healthy\{pool="alpha",server="shard",address="127\.0\.0\.2:\d+"\} 1$/m.test(metrics);
      });
    } finally {
      for (const client of clients) client.close();
    }
  });

  it('starts when a name does not resolve, answers its requests with a clear error, and heals once it resolves', async () => {
    const dns = await DnsServer.start();
    cleanups.push(() => dns.stop());
    const proxy = await proxyFor('later.test', dns.address, { dns_resolve_interval: 1, dns_cache_negative_ttl: 1 });
    const client = await RawClient.connect(proxy.port('alpha'));
    try {
      assert.match(await client.command('GET', 'k'),
        /^-ERR server 'shard' of pool 'alpha' has no address yet: DNS lookup of 'later\.test' failed: no such name \(NXDOMAIN\).*; the proxy keeps trying\r\n$/);
      dns.answer('later.test', [IPS[0]!]);
      await waitFor('the name to resolve', async () => (await client.command('SET', 'k', 'v')) === '+OK\r\n', 5000);
    } finally {
      client.close();
    }
  });
});

async function readLog(proxy: Nutcracker): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return (await readFile(proxy.logFile, 'utf8').catch(() => '')) + proxy.output;
}

describe('a memcached server named by DNS', () => {
  it('spreads its clients over the addresses of the name', async () => {
    const port = await portFreeOn(IPS.slice(0, 2));
    const servers = [await MemcachedServer.start({ host: IPS[0]!, port }), await MemcachedServer.start({ host: IPS[1]!, port })];
    const dns = await DnsServer.start();
    dns.answer('mc.test', IPS.slice(0, 2));
    const proxy = await Nutcracker.start({ alpha: { servers: [`mc.test:${port}:1 mc`], options: { redis: false, dns_servers: [dns.address] } } });
    const clients = await Promise.all([0, 1, 2, 3].map(() => RawClient.connect(proxy.port('alpha'))));
    try {
      for (const [index, client] of clients.entries()) {
        assert.equal(await memcacheRequest(client, `set k${index} 0 0 1\r\nv\r\n`), 'STORED\r\n');
      }
      await waitFor('requests on both addresses', async () => Object.values(await routing(proxy)).every((route) => route.requests > 0));
    } finally {
      for (const client of clients) client.close();
      await proxy.destroy();
      await dns.stop();
      for (const server of servers) await server.stop();
    }
  });
});
