// Server connections as redis-server sees them (CLIENT LIST): connection_warming opens them
// before the first request, authenticated and SELECTed, also for an address DNS adds later;
// connection_idle_timeout closes the ones beyond the warm ones; connection_pooling decides
// whether server_connections counts per address or per server. Real redis-servers on
// 127.0.0.2..4 behind one name that dnsmasq serves.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RedisServer } from '../helpers/redis-server.js';
import { Nutcracker } from '../helpers/nutcracker.js';
import { Dnsmasq } from '../helpers/dnsmasq.js';
import { RawClient } from '../helpers/raw-client.js';
import { portFreeOn, waitFor } from '../helpers/ports.js';

const IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const PASSWORD = 'pool-secret';
const DB = 3;

interface ClientLine {
  db: number;
  cmd: string;
}

/** The test's own connection to a redis-server, kept open so that it is the one client to leave out of the counts. */
class Admin {
  private constructor(private readonly client: RawClient) {}

  static async connect(server: RedisServer): Promise<Admin> {
    const client = await RawClient.connect(server.port, server.host);
    assert.equal(await client.command('AUTH', PASSWORD), '+OK\r\n');
    return new Admin(client);
  }

  /** connected_clients of INFO clients, less this connection. */
  async connectedClients(): Promise<number> {
    const info = await this.client.command('INFO', 'clients');
    return Number(/connected_clients:(\d+)/.exec(info)![1]) - 1;
  }

  /** The other connections in CLIENT LIST: their database and last command. */
  async proxyConnections(): Promise<ClientLine[]> {
    const reply = await this.client.command('CLIENT', 'LIST');
    const lines = reply.split(/\r?\n/).filter((line) => line.startsWith('id='));
    return lines.map((line) => ({ db: Number(/ db=(\d+)/.exec(line)![1]), cmd: / cmd=(\S+)/.exec(line)![1]! }))
      .filter((client) => client.cmd !== 'client|list');
  }

  close(): void {
    this.client.close();
  }
}

describe('connection pooling and warming against real redis-servers', () => {
  let port = 0;
  const redis = new Map<string, RedisServer>();
  const admins = new Map<string, Admin>();
  let cleanups: (() => Promise<unknown>)[] = [];

  before(async () => {
    port = await portFreeOn(IPS);
    for (const ip of IPS) redis.set(ip, await RedisServer.start({ host: ip, port, args: ['--requirepass', PASSWORD] }));
    for (const ip of IPS) admins.set(ip, await Admin.connect(redis.get(ip)!));
  });

  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups = [];
  });

  after(async () => {
    for (const admin of admins.values()) admin.close();
    for (const server of redis.values()) await server.destroy();
  });

  const connectedClients = (ip: string): Promise<number> => admins.get(ip)!.connectedClients();
  const proxyConnections = (ip: string): Promise<ClientLine[]> => admins.get(ip)!.proxyConnections();

  /** Waits until `ip` has `count` connections of the proxy, each of which has said AUTH and SELECT (db=DB in CLIENT LIST). */
  async function waitSelected(ip: string, count: number): Promise<void> {
    let clients: ClientLine[] = [];
    await waitFor(`${count} connections on ${ip} authenticated and on db ${DB}`, async () => {
      clients = await proxyConnections(ip);
      return clients.length === count && clients.every((client) => client.db === DB);
    }).catch((err: Error) => assert.fail(`${err.message}: CLIENT LIST shows ${JSON.stringify(clients)}`));
  }

  async function dnsmasqWith(ips: string[]): Promise<Dnsmasq> {
    const dnsmasq = await Dnsmasq.start({ 'cache.test': ips }, { ttl: 1 });
    cleanups.push(() => dnsmasq.stop());
    return dnsmasq;
  }

  async function proxyFor(dnsmasq: Dnsmasq, options: Record<string, string | number | boolean>): Promise<Nutcracker> {
    const proxy = await Nutcracker.start({
      alpha: {
        servers: [`cache.test:${port}:1 shard`],
        options: { dns_servers: [dnsmasq.address], dns_resolve_interval: 1, redis_auth: PASSWORD, redis_db: DB, ...options },
      },
    });
    cleanups.push(() => proxy.destroy());
    return proxy;
  }

  it('opens connection_warming connections to every address before the first request, authenticated and SELECTed, and to an address DNS adds', async () => {
    const dnsmasq = await dnsmasqWith(IPS.slice(0, 2));
    const proxy = await proxyFor(dnsmasq, { server_connections: 4, connection_pooling: true, connection_warming: 2 });
    for (const ip of IPS.slice(0, 2)) {
      await waitFor(`2 warm connections on ${ip}`, async () => (await connectedClients(ip)) === 2);
      await waitSelected(ip, 2);
    }
    assert.equal(await connectedClients(IPS[2]!), 0, 'not in DNS yet: no connection');
    const added = Date.now();
    await dnsmasq.setHosts({ 'cache.test': IPS });
    await waitFor(`2 warm connections on ${IPS[2]} once DNS gives it`, async () => (await connectedClients(IPS[2]!)) === 2, 2000 + 1000);
    console.log(`# the address DNS added had its 2 warm connections ${Date.now() - added} ms after the change (dns_resolve_interval 1 s)`);
    await waitSelected(IPS[2]!, 2);
    for (const ip of IPS.slice(0, 2)) assert.equal(await connectedClients(ip), 2, `${ip}: still its 2, none opened twice`);

    const client = await RawClient.connect(proxy.port('alpha'));
    try {
      assert.equal(await client.command('AUTH', PASSWORD), '+OK\r\n');
      // Requests take the addresses in turn: each of the 3 gets one of these, over its warm connections.
      for (let i = 0; i < IPS.length; i++) assert.equal(await client.command('SET', `warm:key${i}`, 'v'), '+OK\r\n');
    } finally {
      client.close();
    }
    assert.doesNotMatch(proxy.output, /refused the connection set-up/);
  });

  it('closes the connections beyond the warm ones after connection_idle_timeout without a request, not before', async () => {
    const dnsmasq = await dnsmasqWith([IPS[0]!]);
    const idleSeconds = 2;
    const proxy = await proxyFor(dnsmasq, {
      server_connections: 3, connection_pooling: true, connection_warming: 1, connection_idle_timeout: idleSeconds,
    });
    const server = IPS[0]!;
    await waitFor('the warm connection', async () => (await connectedClients(server)) === 1);
    // Three clients take the three connections of the one address (client id modulo 3).
    const clients = await Promise.all([0, 1, 2].map(() => RawClient.connect(proxy.port('alpha'))));
    cleanups.push(async () => clients.forEach((client) => client.close()));
    for (const client of clients) assert.equal(await client.command('AUTH', PASSWORD), '+OK\r\n');
    for (const client of clients) assert.equal(await client.command('SET', 'idle:key', 'v'), '+OK\r\n');
    const lastRequest = Date.now();
    assert.equal(await connectedClients(server), 3, 'the warm one and two opened by traffic');
    const early = await connectedClients(server);
    if (Date.now() - lastRequest < idleSeconds * 1000 - 500) assert.equal(early, 3, 'none closed before the idle timeout');
    await waitFor('the idle connections to close', async () => (await connectedClients(server)) === 1, idleSeconds * 1000 + 2000);
    const closedAfter = Date.now() - lastRequest;
    console.log(`# idle connections closed ${closedAfter} ms after the last request (connection_idle_timeout ${idleSeconds} s)`);
    assert.ok(closedAfter >= idleSeconds * 1000, `closed after ${closedAfter} ms, before the idle timeout`);
    assert.deepEqual((await proxyConnections(server)).map((client) => client.db), [DB], 'the warm one stays');
    // The clients' next requests open connections again.
    for (const client of clients) assert.equal(await client.command('GET', 'idle:key'), '$1\r\nv\r\n');
    assert.equal(await connectedClients(server), 3);
  });

  it('server_connections counts per address with connection_pooling, per server (shared by its addresses) without', async () => {
    const dnsmasq = await dnsmasqWith(IPS.slice(0, 2));
    const shared = await proxyFor(dnsmasq, { server_connections: 2, preconnect: true });
    for (const ip of IPS.slice(0, 2)) await waitFor(`1 connection on ${ip}`, async () => (await connectedClients(ip)) === 1);
    await shared.destroy();
    for (const ip of IPS.slice(0, 2)) await waitFor(`no connection left on ${ip}`, async () => (await connectedClients(ip)) === 0);
    await proxyFor(dnsmasq, { server_connections: 2, preconnect: true, connection_pooling: true });
    for (const ip of IPS.slice(0, 2)) await waitFor(`2 connections on ${ip}`, async () => (await connectedClients(ip)) === 2);
  });
});
