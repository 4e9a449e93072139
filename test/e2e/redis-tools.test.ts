// The Redis tools and client iterators with their default options: inline commands (telnet,
// redis-benchmark), redis-cli --pipe, SCAN over every shard (redis-cli --scan, redis-py
// scan_iter, node-redis and ioredis iterators), DBSIZE summed (redis-cli --bigkeys/--memkeys).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, encode, splitReplies } from '../helpers/raw-client.js';
import { ShardedPool } from '../helpers/sharded-pool.js';
import { runCommand } from '../helpers/process.js';
import { redisPy } from '../helpers/redis-py.js';
import { connectNodeClients } from '../helpers/clients.js';
import { waitFor } from '../helpers/ports.js';

const KEY_COUNT = 10000;
const PIPE_COMMANDS = 100000;

function cli(port: number, ...args: string[]): string[] {
  return ['-h', '127.0.0.1', '-p', String(port), ...args];
}

describe('redis tools over three shards', () => {
  let pool: ShardedPool;
  let port: number;
  const keys = Array.from({ length: KEY_COUNT }, (_, i) => `scan:${i}`);

  before(async () => {
    pool = await ShardedPool.start(3);
    port = pool.port;
  });

  after(async () => {
    await pool?.destroy();
  });

  test('inline commands and empty lines between requests follow Redis rules', async () => {
    const client = await RawClient.connect(port);
    try {
      client.write('PING\r\n\r\n\nSET inline:k "hello world"\r\nGET inline:k\nECHO \'it\\\'s\'\r\n');
      assert.deepEqual(await client.replies(4), ['+PONG\r\n', '+OK\r\n', '$11\r\nhello world\r\n', '$4\r\nit\'s\r\n']);
      // As Redis does, a bulk string outside an array is read as inline commands.
      client.write(Buffer.concat([Buffer.from('$3\r\nGET\r\n'), encode('PING')]));
      const replies = await client.replies(7);
      assert.match(replies[4]!, /^-ERR unknown or unsupported command '\$3'/);
      assert.equal(replies[5], "-ERR wrong number of arguments for 'get' command\r\n");
      assert.equal(replies[6], '+PONG\r\n');
      assert.equal(client.closed, false);
      assert.equal(await client.command('DEL', 'inline:k'), ':1\r\n');
    } finally {
      client.close();
    }
  });

  test(`redis-cli --pipe of ${PIPE_COMMANDS} commands exits 0 with no error`, async () => {
    const input = Buffer.concat(Array.from({ length: PIPE_COMMANDS }, (_, i) => encode('SET', keys[i % KEY_COUNT]!, `v${i}`)));
    const run = await runCommand('redis-cli', cli(port, '--pipe'), { input, timeoutMs: 60000 });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, new RegExp(`errors: 0, replies: ${PIPE_COMMANDS}\\b`));
    const sizes = await Promise.all(pool.servers.map(async (server) => Number((await server.command('DBSIZE')).slice(1))));
    assert.ok(sizes.every((size) => size > 0), `keys on every shard: ${sizes}`);
    assert.equal(sizes.reduce((a, b) => a + b), KEY_COUNT);
  });

  test('DBSIZE is summed over the shards', async () => {
    const client = await RawClient.connect(port);
    try {
      assert.equal(await client.command('DBSIZE'), `:${KEY_COUNT}\r\n`);
    } finally {
      client.close();
    }
  });

  test(`redis-cli --scan returns each of ${KEY_COUNT} keys exactly once, and passes MATCH on`, async () => {
    const run = await runCommand('redis-cli', cli(port, '--scan'), { timeoutMs: 60000 });
    assert.equal(run.code, 0, run.stderr);
    const seen = run.stdout.trim().split('\n');
    assert.equal(seen.length, KEY_COUNT);
    assert.deepEqual([...new Set(seen)].sort(), [...keys].sort());
    const matched = await runCommand('redis-cli', cli(port, '--scan', '--pattern', 'scan:12*'));
    assert.deepEqual(matched.stdout.trim().split('\n').sort(), keys.filter((key) => key.startsWith('scan:12')).sort());
  });

  test('redis-py scan_iter, node-redis scanIterator and ioredis scanStream each see every key once; TYPE is passed on', async () => {
    const client = await RawClient.connect(port);
    await client.command('HSET', 'scan-hash', 'f', 'v');
    client.close();
    const py = await redisPy(port, "result = [list(r.scan_iter(match='scan:*', count=500)), list(r.scan_iter(_type='hash'))]") as string[][];
    assert.equal(py[0]!.length, KEY_COUNT);
    assert.equal(new Set(py[0]).size, KEY_COUNT);
    assert.deepEqual(py[1], ['scan-hash']);

    const clients = await connectNodeClients(port);
    const { nodeRedis, ioredis } = clients;
    try {
      const fromNodeRedis: string[] = [];
      for await (const batch of nodeRedis.scanIterator({ MATCH: 'scan:*', COUNT: 300 })) fromNodeRedis.push(...batch);
      assert.equal(fromNodeRedis.length, KEY_COUNT);
      assert.equal(new Set(fromNodeRedis).size, KEY_COUNT);
      const fromIoredis: string[] = [];
      for await (const batch of ioredis.scanStream({ match: 'scan:*', count: 300 })) fromIoredis.push(...(batch as string[]));
      assert.equal(fromIoredis.length, KEY_COUNT);
      assert.equal(new Set(fromIoredis).size, KEY_COUNT);
    } finally {
      clients.close();
    }
  });

  test('SCAN refuses a cursor that is not one, as Redis does', async () => {
    const client = await RawClient.connect(port);
    try {
      assert.equal(await client.command('SCAN', 'abc'), '-ERR invalid cursor\r\n');
      assert.equal(await client.command('SCAN', '99999999999999999999999'), '-ERR invalid cursor\r\n');
      assert.equal(await client.command('SCAN'), "-ERR wrong number of arguments for 'scan' command\r\n");
    } finally {
      client.close();
    }
  });

  test('redis-cli --bigkeys and --memkeys walk every shard', async () => {
    for (const mode of ['--bigkeys', '--memkeys']) {
      const run = await runCommand('redis-cli', cli(port, mode), { timeoutMs: 60000 });
      assert.equal(run.code, 0, `${mode}: ${run.stderr}`);
      assert.match(run.stdout, new RegExp(`${KEY_COUNT} strings with [1-9]\\d* bytes`), `${mode}: ${run.stdout}`);
      assert.match(run.stdout, /1 hashs with [1-9]/, mode);
    }
  });

  test('redis-benchmark -q with its default tests reports no error', async () => {
    const run = await runCommand('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-q', '-n', '300'], { timeoutMs: 120000 });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.doesNotMatch(run.stderr + run.stdout, /error from server|connection reset|server closed/i);
    const finished = [...run.stdout.matchAll(/([A-Z_0-9]+(?: \([^)]*\))?): [\d.]+ requests per second/g)].map((match) => match[1]);
    for (const name of ['PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR', 'LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'SADD', 'HSET',
      'SPOP', 'ZADD', 'ZPOPMIN', 'LRANGE_100 (first 100 elements)', 'LRANGE_600 (first 600 elements)', 'MSET (10 keys)']) {
      assert.ok(finished.includes(name), `${name} ran to the end: ${run.stdout}`);
    }
  });
});

describe('SCAN and DBSIZE while a shard is ejected', () => {
  let pool: ShardedPool;

  before(async () => {
    pool = await ShardedPool.start(3, { auto_eject_hosts: true, server_failure_limit: 1, server_retry_timeout: 30000 });
  });

  after(async () => {
    await pool?.destroy();
  });

  test('the walk skips the ejected shard and sees every key of the others once; DBSIZE counts the others', async () => {
    // fnv1a_64 + ketama puts short, similar keys on one shard: vary them widely.
    const keys = Array.from({ length: 300 }, (_, i) => `eject-scan:${((i + 1) * 2654435761 >>> 0).toString(36)}`);
    const client = await RawClient.connect(pool.port);
    try {
      assert.equal(await client.command('MSET', ...keys.flatMap((key) => [key, 'v'])), '+OK\r\n');
      const held = await Promise.all(pool.servers.map(async (server) => splitReplies(Buffer.from(await server.command('KEYS', '*')))));
      const onServer = held.map((reply) => reply[0]!.split('\r\n').filter((line) => line.startsWith('eject-scan:')));
      assert.ok(onServer.every((list) => list.length > 0), `keys on every shard: ${onServer.map((list) => list.length)}`);
      const deadKey = onServer[1]![0]!;
      await pool.servers[1]!.stop();
      await waitFor('the dead shard to be ejected', async () => (await client.command('GET', deadKey)) === '$-1\r\n', 5000);
      const run = await runCommand('redis-cli', cli(pool.port, '--scan'), { timeoutMs: 30000 });
      assert.equal(run.code, 0, run.stderr);
      const seen = run.stdout.trim().split('\n');
      assert.deepEqual(seen.sort(), [...onServer[0]!, ...onServer[2]!].sort());
      assert.equal(await client.command('DBSIZE'), `:${onServer[0]!.length + onServer[2]!.length}\r\n`);
    } finally {
      client.close();
    }
  });
});
