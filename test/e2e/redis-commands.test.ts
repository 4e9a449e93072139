// Redis through the proxy as users drive it: redis-cli, node-redis, ioredis and raw RESP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { Redis as IORedis } from 'ioredis';
import { Nutcracker } from '../helpers/nutcracker.js';
import { RawClient, encode } from '../helpers/raw-client.js';
import { RedisServer } from '../helpers/redis-server.js';
import { ShardedPool } from '../helpers/sharded-pool.js';
import { redisCli as runRedisCli, runCommand } from '../helpers/process.js';
import { waitFor } from '../helpers/ports.js';

function redisCli(port: number, ...args: string[]): Promise<string> {
  return runRedisCli(['-h', '127.0.0.1', '-p', String(port), ...args]);
}

describe('redis pool with three shards', () => {
  let pool: ShardedPool;
  let servers: RedisServer[];
  let port: number;

  before(async () => {
    pool = await ShardedPool.start(3, { hash_tag: '{}' });
    servers = pool.servers;
    port = pool.port;
  });

  after(async () => {
    await pool?.destroy();
  });

  test('redis-cli: SET, GET, INCR, hashes, lists, sets and sorted sets', async () => {
    assert.equal(await redisCli(port, 'SET', 'greeting', 'hello'), 'OK');
    assert.equal(await redisCli(port, 'GET', 'greeting'), 'hello');
    assert.equal(await redisCli(port, 'INCR', 'counter'), '1');
    assert.equal(await redisCli(port, 'HSET', 'h', 'f', 'v'), '1');
    assert.equal(await redisCli(port, 'HGET', 'h', 'f'), 'v');
    assert.equal(await redisCli(port, 'RPUSH', 'l', 'a', 'b'), '2');
    assert.equal(await redisCli(port, 'LRANGE', 'l', '0', '-1'), 'a\nb');
    assert.equal(await redisCli(port, 'SADD', 'st', 'x'), '1');
    assert.equal(await redisCli(port, 'ZADD', 'z', '1', 'm'), '1');
    assert.equal(await redisCli(port, 'ZSCORE', 'z', 'm'), '1');
    assert.equal(await redisCli(port, 'PING'), 'PONG');
  });

  test('a key lives on exactly one shard, the same one every time', async () => {
    await redisCli(port, 'SET', 'placed', 'v');
    const holders = [];
    for (const server of servers) if ((await server.command('EXISTS', 'placed')) === ':1\r\n') holders.push(server.port);
    assert.equal(holders.length, 1);
  });

  test('MSET, MGET, DEL, EXISTS, TOUCH and UNLINK over keys on different shards', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `multi:${i}`);
    assert.equal(await redisCli(port, 'MSET', ...keys.flatMap((key) => [key, `value-${key}`])), 'OK');
    const spread = await Promise.all(servers.map((server) => server.command('DBSIZE')));
    assert.ok(spread.filter((size) => size !== ':0\r\n').length >= 2, `keys should spread over shards: ${spread}`);
    const values = (await redisCli(port, 'MGET', ...keys, 'multi:missing')).split('\n');
    assert.deepEqual(values, [...keys.map((key) => `value-${key}`), '']);
    assert.equal(await redisCli(port, 'EXISTS', ...keys.slice(0, 10), 'multi:missing'), '10');
    assert.equal(await redisCli(port, 'TOUCH', ...keys.slice(0, 5)), '5');
    assert.equal(await redisCli(port, 'UNLINK', ...keys.slice(0, 5)), '5');
    assert.equal(await redisCli(port, 'DEL', ...keys, 'multi:missing'), '15');
    assert.equal(await redisCli(port, 'EXISTS', ...keys), '0');
  });

  test('MGET of 100 keys across shards comes back in key order', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `mget100:${i}`);
    const client = await RawClient.connect(port);
    try {
      assert.equal(await client.command('MSET', ...keys.flatMap((key, i) => [key, String(i * 7)])), '+OK\r\n');
      const reply = await client.command('MGET', ...keys);
      const expected = `*100\r\n${keys.map((_, i) => `$${String(i * 7).length}\r\n${i * 7}\r\n`).join('')}`;
      assert.equal(reply, expected);
    } finally {
      client.close();
    }
  });

  test('hash_tag keeps tagged keys on one shard', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `{user42}:${i}`);
    await redisCli(port, 'MSET', ...keys.flatMap((key) => [key, 'x']));
    const sizes = await Promise.all(servers.map((server) => server.command('DBSIZE')));
    const holders = await Promise.all(servers.map((server) => server.command('EXISTS', ...keys)));
    assert.equal(holders.filter((reply) => reply === ':30\r\n').length, 1, `holders ${holders} sizes ${sizes}`);
  });

  test('EVAL is routed by its first key; EVAL without a key gets an error', async () => {
    assert.equal(await redisCli(port, 'EVAL', 'return KEYS[1]', '1', 'k5'), 'k5');
    const client = await RawClient.connect(port);
    try {
      const reply = await client.command('EVAL', 'return 1', '0');
      assert.match(reply, /^-ERR .*EVAL/);
      assert.equal(await client.command('PING'), '+PONG\r\n');
    } finally {
      client.close();
    }
  });

  test('commands the proxy cannot route get an -ERR naming them and the connection stays usable', async () => {
    const client = await RawClient.connect(port);
    try {
      for (const command of [['KEYS', '*'], ['SUBSCRIBE', 'x'], ['FLUSHALL'], ['FOOBAR', 'x'], ['CONFIG', 'GET', 'save']]) {
        const reply = await client.command(...command);
        assert.match(reply, new RegExp(`^-ERR .*'${command[0]}'`), `reply to ${command[0]}`);
      }
      assert.equal(await client.command('SET', 'still', 'works'), '+OK\r\n');
      assert.equal(client.closed, false);
    } finally {
      client.close();
    }
  });

  test('wrong argument counts are refused the way Redis refuses them', async () => {
    const client = await RawClient.connect(port);
    try {
      assert.equal(await client.command('GET'), "-ERR wrong number of arguments for 'get' command\r\n");
      assert.equal(await client.command('GET', 'a', 'b'), "-ERR wrong number of arguments for 'get' command\r\n");
      assert.equal(await client.command('MSET', 'a'), "-ERR wrong number of arguments for 'mset' command\r\n");
      assert.equal(await client.command('SET', 'k'), "-ERR wrong number of arguments for 'set' command\r\n");
      assert.equal(await client.command('PING'), '+PONG\r\n');
    } finally {
      client.close();
    }
  });

  test('PING, PING msg, ECHO, SELECT of the pool database, CLIENT names, HELLO, INFO are answered by the proxy', async () => {
    const client = await RawClient.connect(port);
    try {
      assert.equal(await client.command('ping'), '+PONG\r\n');
      assert.equal(await client.command('PING', 'hello'), '$5\r\nhello\r\n');
      assert.equal(await client.command('ECHO', 'hi'), '$2\r\nhi\r\n');
      assert.equal(await client.command('SELECT', '0'), '+OK\r\n');
      assert.equal(await client.command('CLIENT', 'SETNAME', 'me'), '+OK\r\n');
      assert.equal(await client.command('CLIENT', 'GETNAME'), '$2\r\nme\r\n');
      assert.equal(await client.command('CLIENT', 'SETINFO', 'LIB-NAME', 'test'), '+OK\r\n');
      assert.match(await client.command('CLIENT', 'LIST'), /^-ERR .*CLIENT LIST/);
      assert.match(await client.command('HELLO', '2'), /^\*14\r\n\$6\r\nserver\r\n/);
      assert.match(await client.command('HELLO', '4'), /^-NOPROTO/);
      assert.match(await client.command('INFO'), /loading:0/);
      assert.match(await client.command('COMMAND', 'COUNT'), /^:\d+\r\n$/);
      assert.equal(await client.command('AUTH', 'pw'), '-ERR Client sent AUTH, but no password is set\r\n');
    } finally {
      client.close();
    }
  });

  test('QUIT answers +OK after the replies owed to earlier pipelined requests, then closes', async () => {
    const client = await RawClient.connect(port);
    try {
      client.write(Buffer.concat([encode('SET', 'q', '1'), encode('QUIT'), encode('GET', 'q')]));
      assert.equal(await client.waitClosed(), true);
      assert.equal(client.data, '+OK\r\n+OK\r\n');
    } finally {
      client.close();
    }
  });

  test('an unsupported command in a pipeline does not cost the replies around it', async () => {
    const client = await RawClient.connect(port);
    try {
      client.write(Buffer.concat([encode('PING'), encode('CLIENT', 'LIST'), encode('PING')]));
      const replies = await client.replies(3);
      assert.equal(replies[0], '+PONG\r\n');
      assert.match(replies[1]!, /^-ERR /);
      assert.equal(replies[2], '+PONG\r\n');
    } finally {
      client.close();
    }
  });

  test('node-redis connects with its default options and works', async () => {
    const client = createClient({ url: `redis://127.0.0.1:${port}` });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.set('node-redis', 'yes');
      assert.equal(await client.get('node-redis'), 'yes');
      await client.mSet({ nr1: 'a', nr2: 'b', nr3: 'c' });
      assert.deepEqual(await client.mGet(['nr1', 'nr2', 'nr3', 'nr4']), ['a', 'b', 'c', null]);
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.destroy();
    }
  });

  test('SELECT of another database is accepted, and every command sent meanwhile is refused, naming it', async () => {
    const client = await RawClient.connect(port);
    try {
      assert.equal(await client.command('SELECT', '1'), '+OK\r\n');
      assert.match(await client.command('SET', 'db1:k', 'v'),
        /^-ERR 'SET' not run: this connection selected database 1, but nutcracker pool 'alpha' serves database 0 only; .*redis_db: 1/);
      assert.equal(await client.command('PING'), '+PONG\r\n');
      assert.equal(await client.command('SELECT', 'x'), '-ERR value is not an integer or out of range\r\n');
      assert.equal(await client.command('SELECT', '0'), '+OK\r\n');
      assert.equal(await client.command('GET', 'db1:k'), '$-1\r\n');
    } finally {
      client.close();
    }
    for (const server of servers) assert.equal(await server.command('EXISTS', 'db1:k'), ':0\r\n');
  });

  test('clients configured for another database connect once and fail each command clearly, writing nothing', { timeout: 20000 }, async () => {
    const nodeRedis = createClient({ url: `redis://127.0.0.1:${port}/1` });
    let errorEvents = 0;
    nodeRedis.on('error', () => errorEvents++);
    await nodeRedis.connect();
    const ioredis = new IORedis({ host: '127.0.0.1', port, db: 1, lazyConnect: true, maxRetriesPerRequest: 1 });
    ioredis.on('error', () => errorEvents++);
    await ioredis.connect();
    try {
      await assert.rejects(nodeRedis.set('db1:nr', 'v'), /'SET' not run: this connection selected database 1/);
      await assert.rejects(ioredis.set('db1:io', 'v'), /'set' not run: this connection selected database 1/);
      assert.equal(errorEvents, 0, 'no reconnection');
    } finally {
      nodeRedis.destroy();
      ioredis.disconnect();
    }
    const cli = await runCommand('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '-n', '1', 'SET', 'db1:cli', 'v']);
    assert.match(cli.stdout, /'SET' not run: this connection selected database 1/);
    for (const key of ['db1:nr', 'db1:io', 'db1:cli']) {
      for (const server of servers) assert.equal(await server.command('EXISTS', key), ':0\r\n', key);
    }
  });

  test('RESP3: node-redis with RESP: 3 and a raw HELLO 3 get the servers\' RESP3 replies, in transactions too', { timeout: 20000 }, async () => {
    const client = createClient({ url: `redis://127.0.0.1:${port}`, RESP: 3 });
    let errorEvents = 0;
    client.on('error', () => errorEvents++);
    await client.connect();
    try {
      await client.hSet('{resp3}:h', { a: '1', b: '2' });
      assert.deepEqual({ ...(await client.hGetAll('{resp3}:h')) }, { a: '1', b: '2' });
      assert.deepEqual(await client.mGet(['{resp3}:missing', 'resp3:other']), [null, null]);
      const [set, map] = await client.multi().set('{resp3}:k', 'v').hGetAll('{resp3}:h').exec();
      assert.equal(set, 'OK');
      assert.deepEqual({ ...(map as object) }, { a: '1', b: '2' });
      assert.equal(errorEvents, 0);
    } finally {
      client.destroy();
    }
    const raw = await RawClient.connect(port);
    try {
      assert.match(await raw.command('HELLO', '3'), /^%7\r\n\$6\r\nserver\r\n/);
      assert.equal(await raw.command('HGETALL', '{resp3}:h'), '%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
      assert.equal(await raw.command('GET', '{resp3}:missing'), '_\r\n');
      assert.match(await raw.command('HELLO', '2'), /^\*14\r\n/);
      assert.equal(await raw.command('GET', '{resp3}:missing'), '$-1\r\n');
      // The RESP3 transactions' server connection is handed on speaking RESP2 again.
      raw.write(Buffer.concat([encode('MULTI'), encode('HGETALL', '{resp3}:h'), encode('EXEC')]));
      assert.deepEqual(await raw.replies(3), ['+OK\r\n', '+QUEUED\r\n', '*1\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n']);
    } finally {
      raw.close();
    }
  });

  test('ioredis connects with its default options (INFO ready check) and works', async () => {
    const client = new IORedis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.set('ioredis', 'yes');
      assert.equal(await client.get('ioredis'), 'yes');
      const pipeline = client.pipeline();
      for (let i = 0; i < 50; i++) pipeline.set(`io:${i}`, String(i));
      for (let i = 0; i < 50; i++) pipeline.get(`io:${i}`);
      const results = await pipeline.exec();
      assert.deepEqual(results!.slice(50).map(([, value]) => value), Array.from({ length: 50 }, (_, i) => String(i)));
    } finally {
      client.disconnect();
    }
  });
});

describe('redis_auth and redis_db', () => {
  let server: RedisServer;
  let proxy: Nutcracker;

  before(async () => {
    server = await RedisServer.start({ args: ['--requirepass', 'secretpw'] });
    proxy = await Nutcracker.start({
      authpool: { servers: [`${server.address}:1 a1`], options: { redis_auth: 'secretpw', redis_db: 3 } },
    });
  });

  after(async () => {
    await proxy?.destroy();
    await server?.destroy();
  });

  test('clients must AUTH; the proxy authenticates its server connections, then selects redis_db', async () => {
    const client = await RawClient.connect(proxy.port('authpool'));
    try {
      assert.equal(await client.command('GET', 'foo'), '-NOAUTH Authentication required\r\n');
      assert.equal(await client.command('PING'), '-NOAUTH Authentication required\r\n');
      assert.equal(await client.command('AUTH', 'wrong'), '-ERR invalid password\r\n');
      assert.equal(await client.command('AUTH', 'secretpw'), '+OK\r\n');
      assert.equal(await client.command('SET', 'foo', 'bar'), '+OK\r\n');
      assert.equal(await client.command('GET', 'foo'), '$3\r\nbar\r\n');
      assert.equal(await client.command('SELECT', '3'), '+OK\r\n');
    } finally {
      client.close();
    }
    assert.equal(await server.command('SELECT', '3'), '+OK\r\n');
    const direct = await RawClient.connect(server.port);
    try {
      await direct.command('AUTH', 'secretpw');
      await direct.command('SELECT', '3');
      assert.equal(await direct.command('GET', 'foo'), '$3\r\nbar\r\n');
      await direct.command('SELECT', '0');
      assert.equal(await direct.command('GET', 'foo'), '$-1\r\n');
    } finally {
      direct.close();
    }
  });

  test('node-redis with a password connects through the proxy', async () => {
    const client = createClient({ url: `redis://127.0.0.1:${proxy.port('authpool')}`, password: 'secretpw' });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.set('nr-auth', '1');
      assert.equal(await client.get('nr-auth'), '1');
    } finally {
      client.destroy();
    }
  });
});

describe('client_connections', () => {
  let pool: ShardedPool;

  before(async () => {
    pool = await ShardedPool.start(1, { client_connections: 2 });
  });

  after(async () => {
    await pool?.destroy();
  });

  test('clients beyond the limit are closed; the ones within it keep working', async () => {
    const first = await RawClient.connect(pool.port);
    const second = await RawClient.connect(pool.port);
    const third = await RawClient.connect(pool.port);
    try {
      assert.equal(await first.command('PING'), '+PONG\r\n');
      assert.equal(await second.command('PING'), '+PONG\r\n');
      assert.equal(await third.waitClosed(), true, 'the third client is closed');
      first.close();
      // The proxy frees the place once it has seen the close: retry briefly.
      await waitFor('a freed place to be taken again', async () => {
        const fourth = await RawClient.connect(pool.port);
        const answered = await fourth.command('PING').then((reply) => reply === '+PONG\r\n', () => false);
        fourth.close();
        return answered;
      }, 10000);
    } finally {
      first.close();
      second.close();
      third.close();
    }
  });
});
