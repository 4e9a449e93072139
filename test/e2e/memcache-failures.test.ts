// A memcached pool when things go wrong: bad input from one client (an error, and a close where
// the stream cannot be followed), shards that die, freeze or refuse, and auto_eject_hosts; every
// request gets exactly one reply and other clients keep working.
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from '../helpers/raw-client.js';
import {
  MemcachedPool, MemcachedServer, memcacheReplies, memcacheRequest, splitMemcacheReplies, startMemcachedServers,
} from '../helpers/memcached.js';
import { Nutcracker, readStats } from '../helpers/nutcracker.js';
import { freePort, sleep, waitFor } from '../helpers/ports.js';
import { CliProcess } from '../helpers/process.js';

/** [what, bytes, the reply memcached gives (or this proxy's fuller text), closed after it?] */
const BAD_INPUT: [string, string, RegExp, boolean][] = [
  ['unknown command', 'stats\r\n', /^CLIENT_ERROR unknown or unsupported command 'stats': nutcracker routes only get, [^\r\n]*\r\n$/, false],
  ['upper-case command', 'GET a\r\n', /^CLIENT_ERROR unknown or unsupported command 'GET'[^\r\n]*\r\n$/, false],
  ['empty line', '\r\n', /^ERROR\r\n$/, false],
  ['get without a key', 'get\r\n', /^ERROR\r\n$/, false],
  ['key over 250 bytes', `get ${'k'.repeat(251)}\r\n`, /^CLIENT_ERROR bad command line format\r\n$/, false],
  ['non-numeric delta', 'incr a x\r\n', /^CLIENT_ERROR invalid numeric delta argument\r\n$/, false],
  ['delete with a hold time', 'delete a 10\r\n', /^CLIENT_ERROR bad command line format\.  Usage: delete <key> \[noreply\]\r\n$/, false],
  ['storage line without its length', 'set a 0 0\r\n', /^ERROR\r\n$/, true],
  ['negative length', 'set a 0 0 -1\r\n', /^CLIENT_ERROR bad command line format\r\n$/, true],
  ['non-numeric length', 'set a 0 0 x\r\nabc\r\n', /^CLIENT_ERROR bad command line format\r\n$/, true],
  ['key over 250 bytes in a set', `set ${'k'.repeat(251)} 0 0 1\r\na\r\n`, /^CLIENT_ERROR bad command line format\r\n$/, true],
  ['data longer than its header', 'set a 0 0 3\r\nabcde\r\n', /^CLIENT_ERROR bad data chunk\r\n$/, true],
  ['line over 2,048 bytes without CRLF', `set ${'k'.repeat(3000)}`, /^CLIENT_ERROR line too long\r\n$/, true],
];

describe('memcached pool: bad input', () => {
  let pool: MemcachedPool;

  after(async () => {
    await pool?.destroy();
  });

  for (const [what, bytes, reply, closes] of BAD_INPUT) {
    test(`${what}: ${closes ? 'an error, then the close' : 'an error, the connection stays usable'}; other clients unaffected`, async () => {
      pool ??= await MemcachedPool.start(3);
      const bystander = await RawClient.connect(pool.port);
      const client = await RawClient.connect(pool.port);
      try {
        assert.equal(await memcacheRequest(bystander, 'set bystander 0 0 2\r\nv1\r\n'), 'STORED\r\n');
        client.write(`set before 0 0 1\r\n1\r\nget before\r\n${bytes}`);
        if (closes) {
          assert.equal(await client.waitClosed(), true, 'connection closed');
        } else {
          await memcacheReplies(client, 3);
          assert.equal(await memcacheRequest(client, 'get before\r\n'), 'VALUE before 0 1\r\n1\r\nEND\r\n', 'still usable');
        }
        const [stored, got, error] = splitMemcacheReplies(client.bytes);
        assert.deepEqual([stored, got], ['STORED\r\n', 'VALUE before 0 1\r\n1\r\nEND\r\n'], 'replies owed to earlier requests first');
        assert.match(error!, reply);
        assert.equal(await memcacheRequest(bystander, 'get bystander\r\n'), 'VALUE bystander 0 2\r\nv1\r\nEND\r\n');
      } finally {
        client.close();
        bystander.close();
      }
    });
  }
});

describe('memcached pool: server failures', () => {
  const started: { proxies: Nutcracker[]; servers: MemcachedServer[]; cli: CliProcess[] } = { proxies: [], servers: [], cli: [] };

  async function cleanup(): Promise<void> {
    for (const cli of started.cli.splice(0)) await cli.stop();
    for (const proxy of started.proxies.splice(0)) await proxy.destroy();
    for (const server of started.servers.splice(0)) {
      server.thaw();
      await server.stop();
    }
  }

  afterEach(cleanup);
  after(cleanup);

  async function proxyFor(servers: string[], options: Record<string, string | number | boolean> = {}): Promise<Nutcracker> {
    const proxy = await Nutcracker.start({ mc: { servers, options: { redis: false, ...options } } });
    started.proxies.push(proxy);
    return proxy;
  }

  /** A key the proxy stores on `server`, found by setting keys and asking the server. */
  async function keyOn(client: RawClient, server: MemcachedServer, prefix: string): Promise<string> {
    for (let i = 0; i < 1000; i++) {
      const key = `${prefix}:${i}`;
      await memcacheRequest(client, `set ${key} 0 0 3\r\nval\r\n`);
      if ((await server.request(`get ${key}\r\n`))[0] !== 'END\r\n') return key;
    }
    throw new Error(`no key of ${prefix} landed on ${server.address}`);
  }

  test('a twemproxy memcached config (no redis: key) starts unchanged and serves', async () => {
    const servers = await startMemcachedServers(2);
    started.servers.push(...servers);
    const [listen, statsPort] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), 'nutcracker-memcached-'));
    const conf = join(dir, 'nutcracker.yml');
    writeFileSync(conf, [
      'beta:', `  listen: 127.0.0.1:${listen}`, '  hash: fnv1a_64', '  distribution: ketama', '  auto_eject_hosts: true',
      '  timeout: 400', '  server_retry_timeout: 2000', '  server_failure_limit: 1', '  servers:',
      ...servers.map((server) => `   - ${server.address}:1`), '',
    ].join('\n'));
    const cli = await CliProcess.start(['-c', conf, '-s', String(statsPort), '-a', '127.0.0.1'],
      async () => (await RawClient.connect(listen).then((c) => (c.close(), true)).catch(() => false)));
    started.cli.push(cli);
    const client = await RawClient.connect(listen);
    try {
      assert.equal(await memcacheRequest(client, 'set tw 0 0 2\r\nok\r\n'), 'STORED\r\n');
      assert.equal(await memcacheRequest(client, 'get tw\r\n'), 'VALUE tw 0 2\r\nok\r\nEND\r\n');
    } finally {
      client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a shard killed while multi-gets are in flight: each gets one reply, SERVER_ERROR for those that touched it, no hang', async () => {
    const servers = await startMemcachedServers(3);
    started.servers.push(...servers);
    const proxy = await proxyFor(servers.map((server, i) => `${server.address}:1 m${i + 1}`));
    const keys = Array.from({ length: 60 }, (_, i) => `kill:${i}`);
    const setup = await RawClient.connect(proxy.port('mc'));
    setup.write(keys.map((key) => `set ${key} 0 0 ${key.length}\r\n${key}\r\n`).join(''));
    assert.ok((await memcacheReplies(setup, keys.length)).every((reply) => reply === 'STORED\r\n'));
    const liveKey = await keyOn(setup, servers[0]!, 'live');
    setup.close();
    const client = await RawClient.connect(proxy.port('mc'));
    try {
      const count = 2000;
      const requests: string[] = [];
      for (let i = 0; i < count; i++) requests.push(`get ${keys[i % 60]} ${keys[(i * 7 + 3) % 60]} ${keys[(i * 13 + 5) % 60]}\r\n`);
      client.write(requests.join(''));
      await servers[1]!.stop();
      const replies = await memcacheReplies(client, count, 15000);
      assert.equal(replies.length, count);
      await sleep(200);
      assert.equal(splitMemcacheReplies(client.bytes).length, count, 'no extra replies');
      for (const [i, reply] of replies.entries()) {
        assert.ok(reply.endsWith('END\r\n') || /^SERVER_ERROR [^\r\n]+\r\n$/.test(reply), `reply ${i}: ${reply.slice(0, 80)}`);
      }
      assert.equal(await memcacheRequest(client, `get ${liveKey}\r\n`), `VALUE ${liveKey} 0 3\r\nval\r\nEND\r\n`);
      assert.equal(client.closed, false);
    } finally {
      client.close();
    }
  });

  test('a dead shard without auto_eject_hosts: its keys get SERVER_ERROR Connection refused, a multi-get over it too', async () => {
    const [live] = await startMemcachedServers(1);
    started.servers.push(live!);
    const proxy = await proxyFor([`${live!.address}:1 m1`, `127.0.0.1:${await freePort()}:1 m2`]);
    const client = await RawClient.connect(proxy.port('mc'));
    try {
      const liveKey = await keyOn(client, live!, 'live');
      let deadKey = '';
      for (let i = 0; i < 200 && deadKey === ''; i++) {
        if ((await memcacheRequest(client, `set dead:${i} 0 0 1\r\nx\r\n`)) === 'SERVER_ERROR Connection refused\r\n') deadKey = `dead:${i}`;
      }
      assert.notEqual(deadKey, '', 'some key must map to the dead shard');
      assert.equal(await memcacheRequest(client, `get ${deadKey}\r\n`), 'SERVER_ERROR Connection refused\r\n');
      assert.equal(await memcacheRequest(client, `get ${liveKey} ${deadKey}\r\n`), 'SERVER_ERROR Connection refused\r\n');
      assert.equal(await memcacheRequest(client, `get ${liveKey}\r\n`), `VALUE ${liveKey} 0 3\r\nval\r\nEND\r\n`);
      // A noreply request to the dead shard: nothing comes back, and the next reply is still the next request's.
      assert.equal(await memcacheRequest(client, `set ${deadKey} 0 0 1 noreply\r\nx\r\nget ${liveKey}\r\n`), `VALUE ${liveKey} 0 3\r\nval\r\nEND\r\n`);
      await sleep(250);
      const stats = (await readStats(proxy.statsPort))['mc'] as Record<string, unknown>;
      assert.ok((stats['forward_error'] as number) > 0);
      assert.ok((stats['m2'] as Record<string, number>)['server_err']! > 0);
    } finally {
      client.close();
    }
  });

  test('auto_eject_hosts: a dead shard is ejected, its keys move to the live shard, and it comes back after server_retry_timeout', async () => {
    const servers = await startMemcachedServers(2);
    started.servers.push(...servers);
    const proxy = await proxyFor(servers.map((server, i) => `${server.address}:1 m${i + 1}`), {
      auto_eject_hosts: true, server_failure_limit: 1, server_retry_timeout: 1500,
    });
    const client = await RawClient.connect(proxy.port('mc'));
    try {
      const onSecond = await keyOn(client, servers[1]!, 'eject');
      await servers[1]!.stop();
      const first = await memcacheRequest(client, `get ${onSecond}\r\n`);
      assert.ok(first === 'SERVER_ERROR Connection refused\r\n' || first === 'SERVER_ERROR Connection closed by server\r\n' || first === 'END\r\n', first);
      await waitFor('the key to be re-routed', async () => (await memcacheRequest(client, `get ${onSecond}\r\n`)) === 'END\r\n', 2000);
      assert.equal(await memcacheRequest(client, `set ${onSecond} 0 0 5\r\nmoved\r\n`), 'STORED\r\n');
      assert.deepEqual(await servers[0]!.request(`get ${onSecond}\r\n`), [`VALUE ${onSecond} 0 5\r\nmoved\r\nEND\r\n`]);
      await sleep(250);
      // At least once: on a slow machine the retry after 1.5 s may already have failed and ejected it again.
      assert.ok((((await readStats(proxy.statsPort))['mc'] as Record<string, unknown>)['server_ejects'] as number) >= 1);
      await servers[1]!.run();
      await waitFor('the shard to come back', async () => {
        await memcacheRequest(client, `set ${onSecond} 0 0 4\r\nback\r\n`);
        return (await servers[1]!.request(`get ${onSecond}\r\n`))[0] === `VALUE ${onSecond} 0 4\r\nback\r\nEND\r\n`;
      }, 6000);
    } finally {
      client.close();
    }
  });

  test('timeout: a frozen server fails its requests with SERVER_ERROR Connection timed out', async () => {
    const [server] = await startMemcachedServers(1);
    started.servers.push(server!);
    const proxy = await proxyFor([`${server!.address}:1 m1`], { timeout: 200 });
    const client = await RawClient.connect(proxy.port('mc'));
    try {
      assert.equal(await memcacheRequest(client, 'set slow 0 0 1\r\n1\r\n'), 'STORED\r\n');
      await server!.freeze();
      assert.equal(await memcacheRequest(client, 'get slow\r\n', 3000), 'SERVER_ERROR Connection timed out\r\n');
      server!.thaw();
      await waitFor('the server to answer again', async () => (await memcacheRequest(client, 'get slow\r\n')) === 'VALUE slow 0 1\r\n1\r\nEND\r\n');
      await sleep(250);
      const stats = (await readStats(proxy.statsPort))['mc'] as Record<string, Record<string, number>>;
      assert.equal(stats['m1']!['server_timedout'], 1);
    } finally {
      client.close();
    }
  });
});
