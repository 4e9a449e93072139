// MULTI/EXEC/DISCARD and WATCH through the proxy, as redis-cli, redis-py, node-redis and ioredis
// use them: a transaction on one shard runs atomically on its own server connection; one that
// spans shards, or holds a command the proxy cannot route, writes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { createClient } from 'redis';
import { RawClient, encode, splitReplies } from '../helpers/raw-client.js';
import { ShardedPool } from '../helpers/sharded-pool.js';
import { redisPy } from '../helpers/redis-py.js';
import { runCommand } from '../helpers/process.js';
import { connectNodeClients } from '../helpers/clients.js';
import { waitFor } from '../helpers/ports.js';
import type { RedisServer } from '../helpers/redis-server.js';

/** Runs redis-cli with `input` on its stdin (one command a line, as an operator pipes them). */
async function redisCliStdin(port: number, input: string): Promise<string> {
  const run = await runCommand('redis-cli', ['-h', '127.0.0.1', '-p', String(port)], { input });
  assert.equal(run.code, 0, run.stderr);
  return run.stdout;
}

/** How many keys matching `pattern` each shard holds, asked of the shards directly. */
async function keysPerShard(servers: RedisServer[], pattern: string): Promise<number[]> {
  return Promise.all(servers.map(async (server) => {
    const reply = await server.command('KEYS', pattern);
    return Number(/^\*(\d+)/.exec(reply)![1]);
  }));
}

describe('transactions over three shards', () => {
  let pool: ShardedPool;
  let port: number;
  /** Two hash tags whose keys live on different shards. */
  let tagA: string;
  let tagB: string;

  before(async () => {
    pool = await ShardedPool.start(3, { hash_tag: '{}' });
    port = pool.port;
    const shardOfTag = new Map<number, string>();
    const probe = await RawClient.connect(port);
    try {
      // fnv1a_64 + ketama puts short, similar keys on one shard: vary the tags widely.
      for (let i = 1; i <= 200 && shardOfTag.size < 2; i++) {
        const tag = `tag-${((i * 2654435761) >>> 0).toString(36)}`;
        await probe.command('SET', `{${tag}}`, '1');
        const holders = await Promise.all(pool.servers.map((server) => server.command('EXISTS', `{${tag}}`)));
        const shard = holders.indexOf(':1\r\n');
        if (!shardOfTag.has(shard)) shardOfTag.set(shard, tag);
        await probe.command('DEL', `{${tag}}`);
      }
    } finally {
      probe.close();
    }
    [tagA, tagB] = [...shardOfTag.values()] as [string, string];
    assert.ok(tagA !== undefined && tagB !== undefined, 'found two tags on different shards');
  });

  after(async () => {
    await pool?.destroy();
  });

  test('redis-cli: DISCARD writes nothing (MULTI, SET, DISCARD, GET)', async () => {
    const out = await redisCliStdin(port, 'MULTI\nSET discarded:k oops\nDISCARD\nGET discarded:k\n');
    assert.equal(out, 'OK\nQUEUED\nOK\n\n');
    assert.deepEqual(await keysPerShard(pool.servers, 'discarded:*'), [0, 0, 0]);
  });

  test('redis-cli: MULTI ... EXEC on one shard runs the commands and answers their replies', async () => {
    const out = await redisCliStdin(port, 'MULTI\nSET {cli}:a 1\nINCR {cli}:a\nGET {cli}:a\nEXEC\n');
    assert.equal(out, 'OK\nQUEUED\nQUEUED\nQUEUED\nOK\n2\n2\n');
  });

  test('redis-py pipeline (transaction=True) on one shard commits; a concurrent writer never interleaves', async () => {
    const writer = createClient({ url: `redis://127.0.0.1:${port}` });
    writer.on('error', () => undefined);
    await writer.connect();
    let writing = true;
    let writes = 0;
    const writes$ = (async () => {
      while (writing && writes < 100000) {
        await writer.set(`{${tagA}}:x`, 'intruder');
        writes++;
      }
    })();
    try {
      const mismatches = await redisPy(port, [
        'bad = []',
        'for i in range(300):',
        '    p = r.pipeline()',
        `    p.set('{${tagA}}:x', 'mine-%d' % i)`,
        `    p.incr('{${tagA}}:n')`,
        `    p.get('{${tagA}}:x')`,
        '    res = p.execute()',
        "    if res[2] != 'mine-%d' % i: bad.append(res)",
        'result = bad',
      ].join('\n'));
      assert.deepEqual(mismatches, []);
    } finally {
      writing = false;
      await writes$;
      writer.destroy();
    }
    assert.ok(writes > 0, 'the concurrent writer ran');
  });

  test('concurrent transactions of INCRs from node-redis, ioredis and redis-py never interleave', async () => {
    const key = `{${tagA}}:counter`;
    const clients = await connectNodeClients(port);
    const { nodeRedis, ioredis } = clients;
    try {
      const runs = 200;
      const nodeRedisRuns = (async () => {
        const pairs: number[][] = [];
        for (let i = 0; i < runs; i++) pairs.push((await nodeRedis.multi().incr(key).incr(key).exec()) as unknown as number[]);
        return pairs;
      })();
      const ioredisRuns = (async () => {
        const pairs: number[][] = [];
        for (let i = 0; i < runs; i++) pairs.push((await ioredis.multi().incr(key).incr(key).exec())!.map(([err, value]) => {
          assert.equal(err, null);
          return value as number;
        }));
        return pairs;
      })();
      const pyRuns = redisPy(port, [
        'pairs = []',
        `for i in range(${runs}):`,
        `    pairs.append(r.pipeline().incr('${key}').incr('${key}').execute())`,
        'result = pairs',
      ].join('\n')) as Promise<number[][]>;
      const all = [...await nodeRedisRuns, ...await ioredisRuns, ...await pyRuns];
      for (const pair of all) assert.equal(pair[1], pair[0]! + 1, `a transaction's two INCRs are consecutive: ${pair}`);
      assert.equal(Number(await nodeRedis.get(key)), runs * 3 * 2);
    } finally {
      clients.close();
    }
  });

  test('requests pipelined before and after a transaction run in the order the client sent them', async () => {
    const key = `{${tagA}}:order`;
    const client = await RawClient.connect(port);
    try {
      const rounds = 200;
      const requests: Buffer[] = [];
      for (let i = 0; i < rounds; i++) {
        requests.push(encode('SET', key, `before-${i}`), encode('MULTI'), encode('GET', key), encode('SET', key, `inside-${i}`),
          encode('EXEC'), encode('GET', key));
      }
      client.write(Buffer.concat(requests));
      const replies = await client.replies(rounds * 6, 20000);
      for (let i = 0; i < rounds; i++) {
        const exec = replies[i * 6 + 4]!;
        const after = replies[i * 6 + 5]!;
        assert.equal(exec, `*2\r\n$${`before-${i}`.length}\r\nbefore-${i}\r\n+OK\r\n`, `round ${i}: the transaction saw the SET before it`);
        assert.equal(after, `$${`inside-${i}`.length}\r\ninside-${i}\r\n`, `round ${i}: the GET after it saw the transaction`);
      }
    } finally {
      client.close();
    }
  });

  test('a client that half-closes after pipelining a transaction still gets every reply', async () => {
    const key = `{${tagA}}:half`;
    const replies = await new Promise<string>((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => {
        socket.end(Buffer.concat([encode('SET', key, '1'), encode('MULTI'), encode('INCR', key), encode('EXEC'), encode('GET', key)]));
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.deepEqual(splitReplies(Buffer.from(replies)), ['+OK\r\n', '+OK\r\n', '+QUEUED\r\n', '*1\r\n:2\r\n', '$1\r\n2\r\n']);
  });

  test('WATCH: a transaction whose watched key another client changed does not run; an untouched one does', async () => {
    const key = `{${tagA}}:watched`;
    const outcome = await redisPy(port, [
      'import redis as R',
      'other = R.Redis(host=r.connection_pool.connection_kwargs["host"], port=r.connection_pool.connection_kwargs["port"])',
      `r.set('${key}', 'start')`,
      'out = []',
      'with r.pipeline() as p:',
      `    p.watch('${key}')`,
      `    p.get('${key}')`,
      `    other.set('${key}', 'changed by another client')`,
      '    p.multi()',
      `    p.set('${key}', 'transaction')`,
      '    try:',
      '        p.execute()',
      "        out.append('ran')",
      '    except R.WatchError:',
      "        out.append('watch-aborted')",
      'with r.pipeline() as p:',
      `    p.watch('${key}')`,
      '    p.multi()',
      `    p.set('${key}', 'second transaction')`,
      '    out.append(p.execute())',
      `out.append(r.get('${key}'))`,
      'result = out',
    ].join('\n'));
    assert.deepEqual(outcome, ['watch-aborted', [true], 'second transaction']);
  });

  test('redis-py: a transaction spanning shards is refused and writes nothing on any shard', async () => {
    const outcome = await redisPy(port, [
      'p = r.pipeline()',
      `p.set('{${tagA}}:span', '1')`,
      `p.set('{${tagB}}:span', '2')`,
      'try:',
      '    result = p.execute()',
      'except redis.ResponseError as e:',
      '    result = str(e)',
    ].join('\n'));
    assert.match(String(outcome), /different shards|transaction runs on server/);
    assert.match(String(outcome), /hash tag/);
    assert.deepEqual(await keysPerShard(pool.servers, '*:span'), [0, 0, 0]);
  });

  test('node-redis and ioredis: a transaction spanning shards rejects and writes nothing', async () => {
    const clients = await connectNodeClients(port);
    const { nodeRedis, ioredis } = clients;
    try {
      await assert.rejects(nodeRedis.multi().set(`{${tagA}}:nr`, '1').set(`{${tagB}}:nr`, '2').exec(), /'SET' refused inside MULTI.*hash tag/);
      // ioredis reports EXEC's -EXECABORT, with the refusals (naming the command as it sent it) in previousErrors.
      const refusedBy = (command: string) => (err: Error & { previousErrors?: Error[] }) =>
        /EXECABORT/.test(err.message) && (err.previousErrors ?? []).some((queued) => queued.message.includes(`'${command}'`));
      await assert.rejects(ioredis.multi().set(`{${tagA}}:io`, '1').set(`{${tagB}}:io`, '2').exec(), refusedBy('set'));
      await assert.rejects(ioredis.multi().mset(`{${tagA}}:io`, '1', `{${tagB}}:io`, '2').exec(), refusedBy('mset'));
      assert.deepEqual(await keysPerShard(pool.servers, '*:nr'), [0, 0, 0]);
      assert.deepEqual(await keysPerShard(pool.servers, '*:io'), [0, 0, 0]);
      assert.equal(await nodeRedis.set('after:refusal', 'works'), 'OK');
    } finally {
      clients.close();
    }
  });

  test('raw: each refused command gets an error naming it, EXEC gets -EXECABORT, and the connection stays usable', async () => {
    const client = await RawClient.connect(port);
    try {
      client.write(Buffer.concat([
        encode('MULTI'), encode('SET', `{${tagA}}:raw`, '1'), encode('SET', `{${tagB}}:raw`, '2'),
        encode('KEYS', '*'), encode('EXEC'), encode('GET', `{${tagA}}:raw`),
      ]));
      const replies = await client.replies(6);
      assert.equal(replies[0], '+OK\r\n');
      assert.equal(replies[1], '+QUEUED\r\n');
      assert.match(replies[2]!, /^-ERR 'SET' refused inside MULTI: .*hash tag/);
      assert.match(replies[3]!, /^-ERR unknown or unsupported command 'KEYS'/);
      assert.equal(replies[4], '-EXECABORT Transaction discarded because of previous errors.\r\n');
      assert.equal(replies[5], '$-1\r\n');
      assert.deepEqual(await keysPerShard(pool.servers, '*:raw'), [0, 0, 0]);
    } finally {
      client.close();
    }
  });

  test('the control commands answer as Redis does outside a transaction; MULTI then EXEC alone is empty', async () => {
    const client = await RawClient.connect(port);
    try {
      assert.equal(await client.command('EXEC'), '-ERR EXEC without MULTI\r\n');
      assert.equal(await client.command('DISCARD'), '-ERR DISCARD without MULTI\r\n');
      assert.equal(await client.command('UNWATCH'), '+OK\r\n');
      assert.equal(await client.command('MULTI'), '+OK\r\n');
      assert.equal(await client.command('MULTI'), '-ERR MULTI calls can not be nested\r\n');
      assert.equal(await client.command('WATCH', 'k'), '-ERR WATCH inside MULTI is not allowed\r\n');
      assert.equal(await client.command('EXEC'), '*0\r\n');
      assert.equal(await client.command('MULTI'), '+OK\r\n');
      assert.equal(await client.command('PING'), '+QUEUED\r\n');
      assert.equal(await client.command('INCR', `{${tagA}}:keyless`), '+QUEUED\r\n');
      assert.equal(await client.command('EXEC'), '*2\r\n+PONG\r\n:1\r\n');
      assert.match(await client.command('WATCH', `{${tagA}}:w`, `{${tagB}}:w`), /^-ERR the keys of 'WATCH' are on different shards/);
    } finally {
      client.close();
    }
  });

  test('clients that leave in the middle of a transaction write nothing, and their server connections are reused', async () => {
    for (let i = 0; i < 30; i++) {
      const client = await RawClient.connect(port);
      client.write(Buffer.concat([encode('WATCH', `{${tagA}}:left`), encode('MULTI'), encode('SET', `{${tagA}}:left`, String(i))]));
      await client.replies(3);
      client.close();
    }
    const shard = pool.servers[(await Promise.all(pool.servers.map((s) => s.command('EXISTS', `{${tagA}}:n`)))).indexOf(':1\r\n')]!;
    // Every transaction above ran on one shard; the proxy keeps at most server_connections (1)
    // dedicated connections idle there, besides its shared one.
    await waitFor('dedicated connections to be closed or idle', async () => {
      const info = await shard.command('INFO', 'clients');
      return Number(/connected_clients:(\d+)/.exec(info)![1]) <= 1 + 1 + 1;
    }, 5000);
    assert.deepEqual(await keysPerShard(pool.servers, '*:left'), [0, 0, 0]);
  });
});

describe('a transaction whose server fails', () => {
  let pool: ShardedPool;

  before(async () => {
    pool = await ShardedPool.start(1);
  });

  after(async () => {
    await pool?.destroy();
  });

  test('every request gets exactly one reply, EXEC is refused, and the client can go on once the server is back', async () => {
    const client = await RawClient.connect(pool.port);
    try {
      client.write(Buffer.concat([encode('MULTI'), encode('SET', 'failing', '1')]));
      assert.deepEqual(await client.replies(2), ['+OK\r\n', '+QUEUED\r\n']);
      await pool.servers[0]!.stop();
      await waitFor('the proxy to see the server gone', async () => {
        const probe = await RawClient.connect(pool.port);
        const reply = await probe.command('GET', 'probe');
        probe.close();
        return reply.startsWith('-ERR');
      }, 5000);
      client.write(Buffer.concat([encode('SET', 'failing', '2'), encode('EXEC'), encode('PING')]));
      const replies = await client.replies(5);
      assert.match(replies[2]!, /^-ERR the connection to server 's1' that ran this transaction failed/);
      assert.match(replies[3]!, /^-EXECABORT Transaction discarded: the connection to server 's1'/);
      assert.equal(replies[4], '+PONG\r\n');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(splitReplies(client.bytes).length, 5, 'no request answered twice');
      await pool.servers[0]!.run();
      assert.equal(await client.command('GET', 'failing'), '$-1\r\n');
    } finally {
      client.close();
    }
  });
});

