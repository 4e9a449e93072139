// Streams that stress the proxy's buffering: large pipelines, requests and replies that arrive in
// many pieces, servers that answer garbage, and inputs beyond the memory bounds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server as NetServer, type Socket } from 'node:net';
import { RawClient, encode, splitReplies } from '../helpers/raw-client.js';
import { ShardedPool } from '../helpers/sharded-pool.js';
import { Nutcracker, readStats } from '../helpers/nutcracker.js';
import { waitFor } from '../helpers/ports.js';

/** Sum of a per-server stats field over the servers of pool `alpha`. */
async function serverStat(proxy: Nutcracker, field: string): Promise<number> {
  const pool = (await readStats(proxy.statsPort))['alpha'] as Record<string, unknown>;
  let total = 0;
  for (const value of Object.values(pool)) {
    if (typeof value === 'object' && value !== null) total += (value as Record<string, number>)[field] ?? 0;
  }
  return total;
}

/**
 * A socket that only counts what it receives and keeps the last bytes. It reads up to 1 MB at a
 * time, as a client with a large read buffer does, so the proxy's writes are often taken at once.
 */
function countingSocket(port: number): Promise<{ socket: Socket; received: () => number; tail: () => string }> {
  return new Promise((resolve, reject) => {
    let received = 0;
    let tail = '';
    const onRead = (bytes: number, buffer: Buffer): boolean => {
      received += bytes;
      tail = (tail + buffer.toString('latin1', Math.max(0, bytes - 64), bytes)).slice(-64);
      return true;
    };
    const socket = connect({ port, host: '127.0.0.1', onread: { buffer: Buffer.alloc(1 << 20), callback: onRead } },
      () => resolve({ socket, received: () => received, tail: () => tail }));
    socket.once('error', reject);
  });
}

/** Sends `command` on a fresh connection and collects exactly `expected.length` bytes of reply. */
async function fetchBytes(port: number, command: Buffer, expectedLength: number): Promise<Buffer> {
  const reader = await new Promise<Socket>((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.once('error', reject);
  });
  const chunks: Buffer[] = [];
  let received = 0;
  reader.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    received += chunk.length;
  });
  try {
    reader.write(command);
    await waitFor(`${expectedLength} bytes of reply`, () => received >= expectedLength, 30000);
    return Buffer.concat(chunks, received);
  } finally {
    reader.destroy();
  }
}

describe('large pipelines, requests and replies in many chunks', () => {
  let pool: ShardedPool;

  before(async () => {
    pool = await ShardedPool.start(1);
  });

  after(async () => {
    await pool?.destroy();
  });

  test('1,000 pipelined GETs of a 16 KB value read late: every reply arrives, then PING is answered', async () => {
    const value = 'v'.repeat(16384);
    const setter = await RawClient.connect(pool.port);
    const reader = await countingSocket(pool.port);
    try {
      assert.equal(await setter.command('SET', 'v', value), '+OK\r\n');
      const before = await serverStat(pool.proxy, 'responses');
      reader.socket.pause();
      reader.socket.write(Buffer.concat(Array.from({ length: 1000 }, () => encode('GET', 'v'))));
      await waitFor('the server to answer the 1,000 GETs', async () => (await serverStat(pool.proxy, 'responses')) >= before + 1000, 10000);
      reader.socket.resume();
      const replyBytes = 1000 * (`$16384\r\n`.length + 16384 + 2);
      await waitFor('every GET reply', () => reader.received() >= replyBytes, 10000);
      reader.socket.write(encode('PING'));
      await waitFor('the PONG', () => reader.received() >= replyBytes + 7, 5000);
      assert.equal(reader.received(), replyBytes + 7);
      assert.ok(reader.tail().endsWith(`${value.slice(0, 40)}\r\n+PONG\r\n`));
    } finally {
      reader.socket.destroy();
      setter.close();
    }
  });

  test('LRANGE of 1,000,000 elements comes through whole and exact', async () => {
    const client = await RawClient.connect(pool.port);
    try {
      const elements = Array.from({ length: 1_000_000 }, (_, i) => `e${i}`);
      for (let i = 0; i < elements.length; i += 10_000) {
        await client.command('RPUSH', 'big-list', ...elements.slice(i, i + 10_000));
      }
      const expected = Buffer.from(`*${elements.length}\r\n` + elements.map((e) => `$${e.length}\r\n${e}\r\n`).join(''));
      const reply = await fetchBytes(pool.port, encode('LRANGE', 'big-list', '0', '-1'), expected.length);
      assert.equal(reply.length, expected.length);
      assert.ok(reply.equals(expected), 'the reply is byte for byte the list');
      assert.equal(await client.command('PING'), '+PONG\r\n');
    } finally {
      client.close();
    }
  });

  test('a request of 20,000 arguments trickled in small pieces is parsed whole; other clients are served meanwhile', async () => {
    const trickler = await RawClient.connect(pool.port);
    const other = await RawClient.connect(pool.port);
    try {
      for (let i = 0; i < 100; i++) assert.equal(await other.command('SET', `trickle${i * 200}`, 'x'), '+OK\r\n');
      const keys = Array.from({ length: 20_000 }, (_, i) => `trickle${i}`);
      const request = encode('DEL', ...keys);
      const pieces = 400;
      const size = Math.ceil(request.length / pieces);
      for (let i = 0; i < pieces; i++) {
        trickler.write(request.subarray(i * size, (i + 1) * size));
        if (i % 100 === 50) assert.equal(await other.command('GET', 'trickle200'), '$1\r\nx\r\n');
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      assert.deepEqual(await trickler.replies(1), [':100\r\n']);
    } finally {
      trickler.close();
      other.close();
    }
  });

  test('a 64 MiB value is stored and read back with the default bounds', async () => {
    const value = Buffer.alloc(64 * 1024 * 1024, 'abcdefgh');
    const client = await RawClient.connect(pool.port);
    try {
      client.write(encode('SET', 'huge', value));
      assert.deepEqual(await client.replies(1, 30000), ['+OK\r\n']);
      const header = Buffer.from(`$${value.length}\r\n`);
      const reply = await fetchBytes(pool.port, encode('GET', 'huge'), header.length + value.length + 2);
      assert.ok(reply.subarray(0, header.length).equals(header));
      assert.ok(reply.subarray(header.length, header.length + value.length).equals(value));
    } finally {
      client.close();
    }
  });
});

describe('requests the server would refuse as framed', () => {
  let pool: ShardedPool;

  before(async () => {
    pool = await ShardedPool.start(3, { auto_eject_hosts: true, server_failure_limit: 1, server_retry_timeout: 60000 });
  });

  after(async () => {
    await pool?.destroy();
  });

  test('a "$-0" length gets a protocol error for its client only: no shard is hurt or ejected', async () => {
    const writer = await RawClient.connect(pool.port);
    try {
      for (let i = 0; i < 30; i++) assert.equal(await writer.command('SET', `early${i}`, `value${i}`), '+OK\r\n');
      const concurrent = Array.from({ length: 200 }, (_, i) => encode('SET', `during${i}`, 'x'));
      writer.write(Buffer.concat(concurrent));
      for (let attempt = 0; attempt < 3; attempt++) {
        const bad = await RawClient.connect(pool.port);
        try {
          bad.write('*2\r\n$3\r\nGET\r\n$-0\r\n\r\n');
          assert.equal(await bad.waitClosed(), true);
          assert.match(bad.data, /^-ERR Protocol error: invalid bulk length\r\n$/);
        } finally {
          bad.close();
        }
      }
      const replies = await writer.replies(200);
      assert.equal(replies.filter((reply) => reply === '+OK\r\n').length, 200, `every concurrent SET succeeded: ${replies.find((reply) => reply !== '+OK\r\n')}`);
      for (let i = 0; i < 30; i++) {
        assert.equal(await writer.command('GET', `early${i}`), `$${`value${i}`.length}\r\nvalue${i}\r\n`);
      }
      const pool0 = (await readStats(pool.proxy.statsPort))['alpha'] as Record<string, number>;
      assert.equal(pool0['server_ejects'], 0);
      assert.equal(await serverStat(pool.proxy, 'server_eof') + await serverStat(pool.proxy, 'server_err'), 0);
    } finally {
      writer.close();
    }
  });
});

describe('a server line that points at something that is not Redis', () => {
  const GARBAGE: [string, string][] = [
    ['an HTTP server', 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'],
    ['an unknown reply type', '?garbage\r\n'],
    ['a negative bulk length', '$-5\r\n'],
  ];

  for (const [name, answer] of GARBAGE) {
    test(`${name}: every request gets exactly one reply, an error naming the cause`, async () => {
      const fake: NetServer = createServer((socket) => {
        socket.on('data', () => socket.write(answer));
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
      const address = fake.address();
      const fakePort = typeof address === 'object' && address !== null ? address.port : 0;
      const proxy = await Nutcracker.start({ alpha: { servers: [`127.0.0.1:${fakePort}:1 fake`], options: { timeout: 2000 } } });
      const client = await RawClient.connect(proxy.port('alpha'));
      try {
        client.write(Buffer.concat([encode('SET', 'k', 'v'), encode('PING'), encode('MGET', 'a', 'b')]));
        const replies = await client.replies(3);
        assert.deepEqual(replies, ['-ERR Protocol error in server reply\r\n', '+PONG\r\n', '-ERR Protocol error in server reply\r\n']);
        assert.equal(await client.command('PING'), '+PONG\r\n');
        assert.equal(splitReplies(client.bytes).length, 3, 'no reply beyond one per request');
      } finally {
        client.close();
        await proxy.destroy();
        await new Promise((resolve) => fake.close(resolve));
      }
    });
  }
});

describe('memory bounds', () => {
  let pool: ShardedPool;

  before(async () => {
    pool = await ShardedPool.start(1, { max_request_bytes: 1048576, max_reply_bytes: 1048576 });
  });

  after(async () => {
    await pool?.destroy();
  });

  test('a request beyond max_request_bytes: earlier replies, then an error naming the bound, then the close', async () => {
    const client = await RawClient.connect(pool.port);
    const bystander = await RawClient.connect(pool.port);
    try {
      client.write(Buffer.concat([encode('SET', 'small', '1'), encode('SET', 'big', 'x'.repeat(1100 * 1024))]));
      assert.equal(await client.waitClosed(5000), true);
      assert.match(client.data, /^\+OK\r\n-ERR request too large: [^\r\n]*more than max_request_bytes \(1048576\) of pool 'alpha': [^\r\n]*raise max_request_bytes\r\n$/);
      assert.equal(await bystander.command('GET', 'small'), '$1\r\n1\r\n');
      assert.equal(await bystander.command('GET', 'big'), '$-1\r\n');
    } finally {
      client.close();
      bystander.close();
    }
  });

  test('a request of many small arguments beyond max_request_bytes is refused the same way', async () => {
    const client = await RawClient.connect(pool.port);
    try {
      const keys = Array.from({ length: 100_000 }, (_, i) => `k${i}`);
      client.write(encode('DEL', ...keys));
      assert.equal(await client.waitClosed(5000), true);
      assert.match(client.data, /^-ERR request too large: [^\r\n]*max_request_bytes \(1048576\)/);
    } finally {
      client.close();
    }
  });

  test('a reply beyond max_reply_bytes fails only its request; the shared server connection goes on', async () => {
    const client = await RawClient.connect(pool.port);
    const neighbour = await RawClient.connect(pool.port);
    try {
      const value = 'y'.repeat(600 * 1024);
      assert.equal(await client.command('SET', 'half', value), '+OK\r\n');
      assert.equal(await client.command('APPEND', 'double', value), `:${value.length}\r\n`);
      assert.equal(await client.command('APPEND', 'double', value), `:${2 * value.length}\r\n`);
      assert.equal(await client.command('SET', 'tiny', 'z'), '+OK\r\n');
      const neighbourly = Array.from({ length: 200 }, () => encode('GET', 'tiny'));
      client.write(Buffer.concat([encode('GET', 'double'), encode('GET', 'half')]));
      neighbour.write(Buffer.concat(neighbourly));
      const replies = await client.replies(2);
      const doubleReplyBytes = `$${2 * value.length}\r\n`.length + 2 * value.length + 2;
      assert.match(replies[0]!, new RegExp(`^-ERR reply too large: ${doubleReplyBytes} bytes, more than max_reply_bytes \\(1048576\\) of pool 'alpha': [^\\r\\n]*raise max_reply_bytes\r\n$`));
      assert.equal(replies[1], `$${value.length}\r\n${value}\r\n`);
      const others = await neighbour.replies(200);
      assert.equal(others.filter((reply) => reply === '$1\r\nz\r\n').length, 200);
      assert.equal(await serverStat(pool.proxy, 'server_err') + await serverStat(pool.proxy, 'server_eof'), 0);
      assert.equal(await client.command('STRLEN', 'double'), `:${2 * value.length}\r\n`);
    } finally {
      client.close();
      neighbour.close();
    }
  });
});
