// protocol: tcp end to end: bytes relayed without parsing (redis-cli and raw sockets through a
// tcp pool in front of a real redis-server), and a database reader endpoint: two real MariaDB
// servers, each behind a delaying relay on its own 127.0.0.x address (one port), a name the test
// DNS server resolves to both, driven by the `mariadb` client through the proxy. Which server a
// connection reached is what it answers to SELECT @@port.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '../helpers/redis-server.js';
import { MariaDbServer, mariadbQuery } from '../helpers/mariadb.js';
import { DelayRelay } from '../helpers/delay-relay.js';
import { DnsServer } from '../helpers/dns-server.js';
import { Nutcracker, type PoolSpec } from '../helpers/nutcracker.js';
import { RawClient, encode } from '../helpers/raw-client.js';
import { redisCli, runNutcracker } from '../helpers/process.js';
import { portFreeOn, waitFor } from '../helpers/ports.js';

const READER = 'db-ro.test';
const IPS = ['127.0.0.2', '127.0.0.3'];
const CONNECTIONS = 10;

const tcpPool = (servers: string[], options: PoolSpec['options'] = {}): PoolSpec => ({ servers, options: { redis: null, protocol: 'tcp', ...options } });

describe('tcp pool relaying a redis-server', () => {
  let redis: RedisServer;
  let relay: DelayRelay;
  let proxy: Nutcracker;

  before(async () => {
    redis = await RedisServer.start();
    relay = await DelayRelay.start({ host: '127.0.0.1', port: redis.port });
    proxy = await Nutcracker.start({ raw: tcpPool([`127.0.0.1:${relay.port}:1 cache`]) });
  });
  after(async () => {
    await proxy?.destroy();
    await relay?.close();
    await redis?.destroy();
  });

  it('relays redis-cli both ways, including what a redis pool would refuse (it does not parse)', async () => {
    const port = String(proxy.port('raw'));
    assert.equal(await redisCli(['-h', '127.0.0.1', '-p', port, 'SET', 'tcp:key', 'relayed']), 'OK');
    assert.equal(await redisCli(['-h', '127.0.0.1', '-p', port, 'GET', 'tcp:key']), 'relayed');
    // A redis pool answers SELECT 1 with an error (not its redis_db) and CLIENT SETNAME is not routable there.
    assert.equal(await redisCli(['-h', '127.0.0.1', '-p', port, 'SELECT', '1']), 'OK');
    assert.equal(await redisCli(['-h', '127.0.0.1', '-p', port, 'CLIENT', 'SETNAME', 'through-tcp']), 'OK');
  });

  it('relays bytes as they come: a request split anywhere and a pipeline', async () => {
    const client = await RawClient.connect(proxy.port('raw'));
    try {
      const bytes = Buffer.concat([encode('SET', 'tcp:split', 'x'.repeat(1000)), encode('STRLEN', 'tcp:split'), Buffer.from('PING\r\n')]);
      client.write(bytes.subarray(0, 7));
      client.write(bytes.subarray(7));
      assert.deepEqual(await client.replies(3), ['+OK\r\n', ':1000\r\n', '+PONG\r\n']);
    } finally {
      client.close();
    }
  });

  it('closes the client whose server connection dies', async () => {
    const client = await RawClient.connect(proxy.port('raw'));
    assert.equal(await client.command('PING'), '+PONG\r\n');
    relay.dropConnections();
    assert.equal(await client.waitClosed(5000), true);
  });

  it('-t warns of a pool on a database port that says no protocol', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nutcracker-tcp-conf-'));
    try {
      const file = join(dir, 'db.yml');
      writeFileSync(file, 'db:\n  listen: 127.0.0.1:3306\n  servers:\n    - 127.0.0.1:3307:1\n');
      const result = await runNutcracker(['-t', '-c', file]);
      assert.equal(result.code, 0);
      assert.match(result.stderr, /warning: .*db\.yml:1: pool 'db' listens on port 3306 \(MySQL\/MariaDB\) with neither 'protocol' nor 'redis', so it speaks memcached: add 'protocol: tcp'/);
      assert.match(result.stderr, /syntax is ok/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tcp pool in front of two MariaDB servers (a database reader endpoint)', { timeout: 180_000 }, () => {
  const databases: MariaDbServer[] = [];
  const relays: DelayRelay[] = [];
  let dns: DnsServer;
  let port = 0;
  const proxies: Nutcracker[] = [];

  before(async () => {
    for (const _ of IPS) databases.push(await MariaDbServer.start());
    port = await portFreeOn(IPS);
    for (const [index, ip] of IPS.entries()) relays.push(await DelayRelay.start({ host: '127.0.0.1', port: databases[index]!.port }, ip, port));
    dns = await DnsServer.start();
    dns.answer(READER, IPS, { ttl: 1 });
  });
  after(async () => {
    await Promise.all(proxies.map((proxy) => proxy.destroy()));
    await Promise.all(relays.map((relay) => relay.close()));
    await Promise.all(databases.map((database) => database.destroy()));
    await dns?.stop();
  });

  const startProxy = async (options: PoolSpec['options'] = {}): Promise<Nutcracker> => {
    const proxy = await Nutcracker.start({ reader: tcpPool([`${READER}:${port}:1 reader`], { dns_servers: [dns.address], ...options }) });
    proxies.push(proxy);
    return proxy;
  };

  /** Which database (index) each of `count` new connections through the proxy reached. */
  const whoAnswers = async (proxy: Nutcracker, count = CONNECTIONS): Promise<number[]> => {
    const reached = [0, 0];
    for (let i = 0; i < count; i++) {
      const answer = Number(await mariadbQuery('127.0.0.1', proxy.port('reader'), 'SELECT @@port'));
      const index = databases.findIndex((database) => database.port === answer);
      assert.notEqual(index, -1, `answered by port ${answer}`);
      reached[index]!++;
    }
    return reached;
  };

  it('spreads connections evenly without latency routing', async () => {
    for (const relay of relays) relay.setDelay('toClient', 0);
    const proxy = await startProxy();
    assert.deepEqual(await whoAnswers(proxy), [CONNECTIONS / 2, CONNECTIONS / 2]);
  });

  it('with latency_weight 100 sends every connection to the fast one, and moves when the delays swap', async () => {
    relays[0]!.setDelay('toClient', 15);
    relays[1]!.setDelay('toClient', 1);
    const proxy = await startProxy({ latency_routing: true, latency_weight: 100 });
    await waitFor('the fast database measured as the fastest', async () => (await whoAnswers(proxy, 2))[1] === 2, 15000);
    assert.deepEqual(await whoAnswers(proxy), [0, CONNECTIONS]);
    relays[0]!.setDelay('toClient', 1);
    relays[1]!.setDelay('toClient', 15);
    await waitFor('connections move to the other database', async () => (await whoAnswers(proxy, 2))[0] === 2, 20000);
    assert.deepEqual(await whoAnswers(proxy), [CONNECTIONS, 0]);
  });

  it('new connections succeed on the other server when one is killed', async () => {
    for (const relay of relays) relay.setDelay('toClient', 0);
    const proxy = await startProxy();
    assert.deepEqual(await whoAnswers(proxy, 4), [2, 2]);
    await relays[0]!.close();
    // Every new connection succeeds: a refused connect is tried on the other address.
    assert.deepEqual(await whoAnswers(proxy), [0, CONNECTIONS]);
    relays[0] = await DelayRelay.start({ host: '127.0.0.1', port: databases[0]!.port }, IPS[0], port);
  });
});
