// Pipelining through the proxy: any split of the byte stream, deep pipelines, reply order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { RawClient, encode, splitReplies } from '../helpers/raw-client.js';
import { ShardedPool } from '../helpers/sharded-pool.js';
import { waitFor } from '../helpers/ports.js';

describe('pipelining', () => {
  let pool: ShardedPool;
  let port: number;

  before(async () => {
    pool = await ShardedPool.start(3);
    port = pool.port;
  });

  after(async () => {
    await pool?.destroy();
  });

  test('every byte split of a pipelined request gives the same replies', async () => {
    const pipeline = Buffer.concat([
      encode('SET', 'split:a', 'alpha'), encode('GET', 'split:a'), encode('MSET', 'split:b', 'beta', 'split:c', 'gamma'),
      encode('MGET', 'split:a', 'split:b', 'split:c', 'split:none'), encode('PING'), encode('DEL', 'split:b', 'split:c'),
    ]);
    const expected = [
      '+OK\r\n', '$5\r\nalpha\r\n', '+OK\r\n', '*4\r\n$5\r\nalpha\r\n$4\r\nbeta\r\n$5\r\ngamma\r\n$-1\r\n', '+PONG\r\n', ':2\r\n',
    ];
    for (let split = 1; split < pipeline.length; split++) {
      const client = await RawClient.connect(port);
      try {
        client.write(pipeline.subarray(0, split));
        await new Promise((resolve) => setImmediate(resolve));
        client.write(pipeline.subarray(split));
        assert.deepEqual(await client.replies(expected.length), expected, `split at byte ${split}`);
      } finally {
        client.close();
      }
    }
  });

  test('a request sent one byte at a time is answered once, correctly', async () => {
    const client = await RawClient.connect(port);
    try {
      const request = Buffer.concat([encode('SET', 'drip', 'value'), encode('GET', 'drip')]);
      for (const byte of request) {
        client.write(Buffer.from([byte]));
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      assert.deepEqual(await client.replies(2), ['+OK\r\n', '$5\r\nvalue\r\n']);
    } finally {
      client.close();
    }
  });

  test('10,000 pipelined commands on one connection are answered in order', async () => {
    const count = 10000;
    const requests: Buffer[] = [];
    for (let i = 0; i < count; i++) requests.push(i % 2 === 0 ? encode('SET', `deep:${i}`, String(i)) : encode('GET', `deep:${i - 1}`));
    const client = await RawClient.connect(port);
    try {
      client.write(Buffer.concat(requests));
      const replies = await client.replies(count, 20000);
      assert.equal(replies.length, count);
      for (let i = 0; i < count; i++) {
        const expected = i % 2 === 0 ? '+OK\r\n' : `$${String(i - 1).length}\r\n${i - 1}\r\n`;
        if (replies[i] !== expected) assert.fail(`reply ${i} is ${JSON.stringify(replies[i])}, expected ${JSON.stringify(expected)}`);
      }
    } finally {
      client.close();
    }
  });

  test('many clients pipelining at once each get their own replies in their own order', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(port)));
    try {
      const perClient = 200;
      clients.forEach((client, c) => {
        const requests: Buffer[] = [];
        for (let i = 0; i < perClient; i++) requests.push(encode('SET', `c${c}:${i}`, `v${c}:${i}`), encode('GET', `c${c}:${i}`));
        client.write(Buffer.concat(requests));
      });
      await Promise.all(clients.map(async (client, c) => {
        const replies = await client.replies(perClient * 2, 20000);
        for (let i = 0; i < perClient; i++) {
          const value = `v${c}:${i}`;
          assert.equal(replies[i * 2 + 1], `$${value.length}\r\n${value}\r\n`);
        }
      }));
    } finally {
      for (const client of clients) client.close();
    }
  });

  test('a client that half-closes after sending still gets every reply', async () => {
    const replies = await new Promise<string>((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => {
        socket.end(Buffer.concat([encode('SET', 'half', '1'), encode('GET', 'half'), encode('PING')]));
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.deepEqual(splitReplies(Buffer.from(replies)), ['+OK\r\n', '$1\r\n1\r\n', '+PONG\r\n']);
  });

  test('large values pass through intact', async () => {
    const client = await RawClient.connect(port);
    try {
      const value = Buffer.alloc(3 * 1024 * 1024 + 17, 'abcdefghij');
      assert.equal(await client.command('SET', 'big', value.toString('latin1')), '+OK\r\n');
      const reply = await client.command('GET', 'big');
      assert.equal(reply, `$${value.length}\r\n${value.toString('latin1')}\r\n`);
    } finally {
      client.close();
    }
  });
});

describe('server_connections and preconnect', () => {
  let pool: ShardedPool;

  before(async () => {
    pool = await ShardedPool.start(1, { server_connections: 4, preconnect: true });
  });

  after(async () => {
    await pool?.destroy();
  });

  test('preconnect opens all server_connections before the first request', async () => {
    // The helper's own connection is one more. The proxy connects once it listens: on a busy
    // machine the server may accept those connections a moment after the listener is up.
    let clients = '';
    await waitFor('4 preconnected server connections', async () => {
      clients = await pool.servers[0]!.command('CLIENT', 'LIST');
      return clients.split('\n').filter((line) => line.includes('addr=')).length === 5;
    }, 5000).catch(() => assert.fail(`expected 4 proxy connections and the helper's: ${clients}`));
  });

  test('each client keeps its order over several server connections: a GET sees the SET before it', async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(pool.port)));
    try {
      const rounds = 300;
      clients.forEach((client, c) => {
        const requests: Buffer[] = [];
        for (let i = 0; i < rounds; i++) requests.push(encode('SET', `order:${c}`, String(i)), encode('GET', `order:${c}`));
        client.write(Buffer.concat(requests));
      });
      await Promise.all(clients.map(async (client) => {
        const replies = await client.replies(rounds * 2, 20000);
        for (let i = 0; i < rounds; i++) assert.equal(replies[i * 2 + 1], `$${String(i).length}\r\n${i}\r\n`);
      }));
    } finally {
      for (const client of clients) client.close();
    }
  });
});
