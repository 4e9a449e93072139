// Servers that die, refuse, time out and come back: every request gets exactly one reply,
// other shards keep working, and auto_eject_hosts behaves as twemproxy's.
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Nutcracker, readStats } from '../helpers/nutcracker.js';
import { RawClient, encode, splitReplies } from '../helpers/raw-client.js';
import { RedisServer, startRedisServers } from '../helpers/redis-server.js';
import { freePort, sleep, waitFor } from '../helpers/ports.js';

const started: { proxies: Nutcracker[]; servers: RedisServer[] } = { proxies: [], servers: [] };

async function cleanup(): Promise<void> {
  for (const proxy of started.proxies.splice(0)) await proxy.destroy();
  for (const server of started.servers.splice(0)) await server.destroy();
}

async function shards(count: number, args: string[] = []): Promise<RedisServer[]> {
  const servers = await startRedisServers(count, args);
  started.servers.push(...servers);
  return servers;
}

async function proxyFor(servers: string[], options: Record<string, string | number | boolean> = {}): Promise<Nutcracker> {
  const proxy = await Nutcracker.start({ pool: { servers, options } });
  started.proxies.push(proxy);
  return proxy;
}

/** Finds a key that the proxy stores on `server` (by asking the backend after a SET). */
async function keyOn(client: RawClient, server: RedisServer, prefix: string): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const key = `${prefix}:${i}`;
    await client.command('SET', key, 'val');
    if ((await server.command('EXISTS', key)) === ':1\r\n') return key;
  }
  throw new Error(`no key of ${prefix} landed on ${server.address}`);
}

describe('server failures', () => {
  afterEach(cleanup);
  after(cleanup);

  test('a shard killed mid-pipeline: every request gets exactly one reply; the other shards keep working', async () => {
    const servers = await shards(3);
    const proxy = await proxyFor(servers.map((server, i) => `${server.address}:1 s${i + 1}`));
    const client = await RawClient.connect(proxy.port('pool'));
    try {
      const count = 3000;
      const setup: Buffer[] = [];
      for (let i = 0; i < count; i++) setup.push(encode('SET', `kill:${i}`, String(i)));
      client.write(Buffer.concat(setup));
      await client.replies(count, 10000);
      const fresh = await RawClient.connect(proxy.port('pool'));
      const gets: Buffer[] = [];
      for (let i = 0; i < count; i++) gets.push(encode('GET', `kill:${i}`));
      fresh.write(Buffer.concat(gets));
      await servers[1]!.stop();
      const replies = await fresh.replies(count, 15000);
      assert.equal(replies.length, count);
      await sleep(300);
      assert.equal(splitReplies(fresh.bytes).length, count, 'no extra replies');
      for (let i = 0; i < count; i++) {
        const ok = replies[i] === `$${String(i).length}\r\n${i}\r\n`;
        assert.ok(ok || replies[i]!.startsWith('-ERR '), `reply ${i}: ${replies[i]}`);
      }
      fresh.close();
      const live = await keyOn(client, servers[0]!, 'after');
      assert.equal(await client.command('GET', live), '$3\r\nval\r\n');
    } finally {
      client.close();
    }
  });

  test('a dead shard without auto_eject_hosts: its keys get -ERR, MGET over it gets -ERR, the connection stays open', async () => {
    const [live] = await shards(1);
    const deadPort = await freePort();
    const proxy = await proxyFor([`${live!.address}:1 s1`, `127.0.0.1:${deadPort}:1 s2`]);
    const client = await RawClient.connect(proxy.port('pool'));
    try {
      const liveKey = await keyOn(client, live!, 'live');
      let deadKey = '';
      for (let i = 0; i < 200 && deadKey === ''; i++) {
        const reply = await client.command('SET', `dead:${i}`, 'x');
        if (reply === '-ERR Connection refused\r\n') deadKey = `dead:${i}`;
      }
      assert.notEqual(deadKey, '', 'some key must map to the dead shard');
      assert.equal(await client.command('GET', deadKey), '-ERR Connection refused\r\n');
      assert.equal(await client.command('GET', liveKey), '$3\r\nval\r\n');
      assert.equal(await client.command('MGET', liveKey, deadKey), '-ERR Connection refused\r\n');
      assert.equal(await client.command('PING'), '+PONG\r\n');
      assert.equal(client.closed, false);
      await sleep(250);
      const stats = await readStats(proxy.statsPort);
      const pool = stats['pool'] as Record<string, unknown>;
      assert.ok((pool['forward_error'] as number) > 0);
      assert.ok(((pool['s2'] as Record<string, number>)['server_err']!) > 0);
    } finally {
      client.close();
    }
  });

  test('auto_eject_hosts: a dead shard is ejected, its keys move to the live shards, and it comes back after server_retry_timeout', async () => {
    const servers = await shards(2);
    const proxy = await proxyFor(servers.map((server, i) => `${server.address}:1 s${i + 1}`), {
      auto_eject_hosts: true, server_failure_limit: 1, server_retry_timeout: 1500,
    });
    const client = await RawClient.connect(proxy.port('pool'));
    try {
      const onSecond = await keyOn(client, servers[1]!, 'eject');
      await servers[1]!.stop();
      // The server's EOF or the refused reconnect is its one allowed failure. The GET may also be
      // written just as the server's close arrives, and then fails with it.
      const first = await client.command('GET', onSecond);
      assert.ok(['-ERR Connection refused\r\n', '-ERR Connection closed by server\r\n', '$-1\r\n'].includes(first), first);
      // Ejected: the key is now served by the remaining shard, where it does not exist.
      await waitFor('the key to be re-routed', async () => (await client.command('GET', onSecond)) === '$-1\r\n', 1000);
      assert.equal(await client.command('SET', onSecond, 'moved'), '+OK\r\n');
      assert.equal(await servers[0]!.command('GET', onSecond), '$5\r\nmoved\r\n');
      await sleep(250);
      const stats = (await readStats(proxy.statsPort))['pool'] as Record<string, unknown>;
      assert.equal(stats['server_ejects'], 1);
      const ejectedAt = (stats['s2'] as Record<string, number>)['server_ejected_at']!;
      assert.ok(Math.abs(ejectedAt / 1e6 - Date.now() / 1000) < 10, `server_ejected_at ${ejectedAt} is unix microseconds`);
      // The shard comes back: after the retry timeout its keys go to it again.
      await servers[1]!.run();
      await waitFor('the shard to come back', async () => {
        await client.command('SET', onSecond, 'back');
        return (await servers[1]!.command('GET', onSecond)) === '$4\r\nback\r\n';
      }, 6000);
    } finally {
      client.close();
    }
  });

  test('every shard down: GET gets -ERR Connection refused each time, PING still +PONG, MGET an error without a close', async () => {
    const ports = [await freePort(), await freePort()];
    const proxy = await proxyFor(ports.map((port, i) => `127.0.0.1:${port}:1 d${i + 1}`), {
      auto_eject_hosts: true, server_failure_limit: 2, server_retry_timeout: 30000,
    });
    const client = await RawClient.connect(proxy.port('pool'));
    try {
      for (let i = 0; i < 6; i++) assert.equal(await client.command('GET', 'foo'), '-ERR Connection refused\r\n');
      client.write(Buffer.concat([encode('SET', 'a', '1'), encode('PING')]));
      assert.deepEqual(await client.replies(2), ['-ERR Connection refused\r\n', '+PONG\r\n']);
      const mget = await RawClient.connect(proxy.port('pool'));
      mget.write(Buffer.concat([encode('MGET', 'a', 'b', 'c'), encode('PING')]));
      const replies = await mget.replies(2);
      assert.match(replies[0]!, /^-ERR /);
      assert.equal(replies[1], '+PONG\r\n');
      assert.equal(mget.closed, false);
      mget.close();
    } finally {
      client.close();
    }
  });

  test('timeout: a server that does not answer in time fails its requests with -ERR Connection timed out', async () => {
    const [server] = await shards(1, ['--enable-debug-command', 'yes']);
    const proxy = await proxyFor([`${server!.address}:1 s1`], { timeout: 200 });
    const client = await RawClient.connect(proxy.port('pool'));
    try {
      assert.equal(await client.command('SET', 'slow', '1'), '+OK\r\n');
      const blocker = await RawClient.connect(server!.port);
      blocker.write(encode('DEBUG', 'SLEEP', '1'));
      await sleep(50);
      const started = Date.now();
      assert.equal(await client.command('GET', 'slow'), '-ERR Connection timed out\r\n');
      assert.ok(Date.now() - started < 950, 'the timeout fired before the server woke up');
      await blocker.replies(1, 3000);
      blocker.close();
      assert.equal(await client.command('GET', 'slow'), '$1\r\n1\r\n');
      await sleep(250);
      const stats = (await readStats(proxy.statsPort))['pool'] as Record<string, Record<string, number>>;
      assert.equal(stats['s1']!['server_timedout'], 1);
    } finally {
      client.close();
    }
  });
});
