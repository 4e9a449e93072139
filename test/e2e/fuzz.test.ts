// The standing guard against parser regressions: short seeded fuzz runs (the same inputs every
// time) of the RESP and memcached request and reply paths. `npm run fuzz` runs the same for longer, seed random.
// The request runs stop after a number of cases (the time is only a bound), so that a loaded
// machine runs them longer rather than less.
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:net';
import assert from 'node:assert/strict';
import { DEFAULT_SEED, memcacheReplyRun, memcacheRequestRun, respReplyRun, respRequestRun } from '../fuzz/runs.js';
import { INCOMPLETE, INVALID } from '../fuzz/protocol.js';
import { RESP } from '../fuzz/resp.js';
import { FakeServer } from '../helpers/fake-server.js';
import { Nutcracker } from '../helpers/nutcracker.js';
import { RawClient, encode } from '../helpers/raw-client.js';
import { ShardedPool } from '../helpers/sharded-pool.js';
import { sleep } from '../helpers/ports.js';

describe('seeded fuzzing', () => {
  test('mutated RESP requests from many connections: the proxy stays up, honest clients get every reply right', async (t) => {
    const findings = await respRequestRun({ seed: DEFAULT_SEED, durationMs: 30000, count: 400 });
    const summary = findings.summary('resp requests', DEFAULT_SEED, `npm run fuzz -- --seed ${DEFAULT_SEED} --run requests`);
    t.diagnostic(summary.split('\n')[0]!);
    assert.ok(findings.cases >= 400 && findings.checked > 500, `the run did too little: ${summary}`);
    assert.equal(findings.total, 0, summary);
  });

  test('damaged RESP replies from fake servers: every request gets one reply (an error is fine), never another\'s', async (t) => {
    const findings = await respReplyRun({ seed: DEFAULT_SEED, durationMs: 3000, count: 150 });
    const summary = findings.summary('resp replies', DEFAULT_SEED, `npm run fuzz -- --seed ${DEFAULT_SEED} --run replies`);
    t.diagnostic(summary.split('\n')[0]!);
    assert.ok(findings.cases > 0 && findings.checked > 500, `the run did too little: ${summary}`);
    assert.equal(findings.total, 0, summary);
  });

  test('mutated memcached requests from many connections: the proxy stays up, honest clients get every reply right', async (t) => {
      const findings = await memcacheRequestRun({ seed: DEFAULT_SEED, durationMs: 30000, count: 400 });
      const summary = findings.summary('memcache requests', DEFAULT_SEED, `npm run fuzz -- --seed ${DEFAULT_SEED} --protocol memcache --run requests`);
      t.diagnostic(summary.split('\n')[0]!);
      assert.ok(findings.cases >= 400 && findings.checked > 500, `the run did too little: ${summary}`);
      assert.equal(findings.total, 0, summary);
    });

  test('damaged memcached replies from fake servers: every request gets one reply (an error is fine), never another\'s', async (t) => {
    const findings = await memcacheReplyRun({ seed: DEFAULT_SEED, durationMs: 3000, count: 150 });
    const summary = findings.summary('memcache replies', DEFAULT_SEED, `npm run fuzz -- --seed ${DEFAULT_SEED} --protocol memcache --run replies`);
    t.diagnostic(summary.split('\n')[0]!);
    assert.ok(findings.cases > 20 && findings.checked > 500, `the run did too little: ${summary}`);
    assert.equal(findings.total, 0, summary);
  });
});

/** Sends `request`, reads nothing for `pauseMs`, then counts the reply bytes until `expected` came or `timeoutMs`. */
function readSlowly(port: number, request: Buffer, pauseMs: number, expected: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    let received = 0;
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.pause();
      socket.write(request);
      setTimeout(() => socket.resume(), pauseMs);
    });
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= expected) done();
    });
    socket.on('error', done);
  });
}

/** The strictly valid replies `bytes` starts with, and whether invalid bytes follow them. */
function readStrict(bytes: Buffer): { replies: string[]; invalid: boolean } {
  const reader = RESP.replyReader();
  const replies: string[] = [];
  for (let pos = 0; pos < bytes.length;) {
    const end = reader.end(bytes, pos);
    if (end === INCOMPLETE) break;
    if (end === INVALID) return { replies, invalid: true };
    replies.push(bytes.toString('latin1', pos, end));
    pos = end;
  }
  return { replies, invalid: false };
}

describe('damaged requests found by the fuzzer', () => {
  test('a "$-0" bulk length is refused by the proxy, and a client sharing the server connection loses nothing', async () => {
    const pool = await ShardedPool.start(1);
    const bystander = await RawClient.connect(pool.port);
    const client = await RawClient.connect(pool.port);
    try {
      // A busy script holds the server while the bad request and then the bystander's GETs reach
      // it on the same server connection, so that it reads them together.
      bystander.write(encode('EVAL', 'local i = 0 while i < 40000000 do i = i + 1 end return 1', '1', 'minus-zero:busy'));
      await sleep(50);
      client.write('*2\r\n$3\r\nGET\r\n$-0\r\n\r\n');
      await sleep(50);
      const count = 100;
      bystander.write(Buffer.concat(Array.from({ length: count }, (_, i) => encode('GET', `minus-zero:${i}`))));
      const replies = await bystander.replies(count + 1, 10000);
      assert.deepEqual(replies, [':1\r\n', ...Array.from({ length: count }, () => '$-1\r\n')], 'the bystander gets every reply');
      assert.equal(await client.waitClosed(), true, 'the sender of "$-0" is closed');
      assert.match(client.data, /^-ERR Protocol error[^\r\n]*\r\n$/);
    } finally {
      client.close();
      bystander.close();
      await pool.destroy();
    }
  });

  test('a client that reads a 12 MB pipelined reply slowly still gets all of it', async () => {
    const pool = await ShardedPool.start(1);
    try {
      const value = 'L'.repeat(10 * 1024);
      assert.equal(await pool.servers[0]!.command('SET', 'large-pipeline', value), '+OK\r\n');
      const reads = 1200;
      const expected = reads * `$${value.length}\r\n${value}\r\n`.length;
      // The stall depends on how the buffers fill: three tries.
      for (let attempt = 1; attempt <= 3; attempt++) {
        const received = await readSlowly(pool.port, Buffer.concat(Array.from({ length: reads }, () => encode('GET', 'large-pipeline'))), 1000, expected, 6000);
        assert.equal(received, expected, `attempt ${attempt}: bytes of the replies received`);
      }
    } finally {
      await pool.destroy();
    }
  });

  for (const byte of ['\r', '\n']) {
    test(`a protocol error about a ${JSON.stringify(byte)} where '$' was expected is one valid error line`, async () => {
      const pool = await ShardedPool.start(1);
      const client = await RawClient.connect(pool.port);
      try {
        client.write(`*2\r\n$3\r\nGET\r\n${byte}$1\r\na\r\n`);
        assert.equal(await client.waitClosed(), true);
        const { replies, invalid } = readStrict(client.bytes);
        assert.equal(invalid, false, `only valid replies: ${JSON.stringify(client.data)}`);
        assert.equal(replies.length, 1);
        assert.match(replies[0]!, /^-ERR Protocol error/);
      } finally {
        client.close();
        await pool.destroy();
      }
    });
  }
});

// Damage the fuzzer found the proxy forwarding as replies, each replayed on its own: the fake
// server answers GET dmg<i> with damage i, and every other request correctly.
const DAMAGED_REPLIES: [string, string][] = [
  ['a simple string with a bare CR, then what reads as another reply', '+A\rX:1\r\n'],
  ['a bulk string whose data is not followed by CRLF', '$1\r\nxY:2\r\n'],
  ['a bulk string of length -0', '$-0\r\n:3\r\n'],
  ['an integer with a NUL in it', ':\x003\r\n'],
];

describe('damaged server replies found by the fuzzer', () => {
  let fake: FakeServer;
  let proxy: Nutcracker;

  before(async () => {
    fake = await FakeServer.start({
      framing: () => RESP.requestReader(),
      answer: RESP.fakeAnswer,
      plan: () => (correct) => {
        const damage = /^\$\d+\r\nval:dmg(\d+)\r\n$/.exec(correct.toString('latin1'));
        return damage === null ? null : { bytes: Buffer.from(DAMAGED_REPLIES[Number(damage[1])]![1], 'latin1'), then: 'continue' };
      },
    });
    proxy = await Nutcracker.start({ alpha: { servers: [`${fake.address}:1 f1`], options: { timeout: 1000 } } });
  });

  after(async () => {
    await proxy?.destroy();
    await fake?.close();
  });

  DAMAGED_REPLIES.forEach(([name], i) => {
    test(`${name}: the damaged GET gets an error, the GETs after it their own reply or an error`, async () => {
      const client = await RawClient.connect(proxy.port('alpha'));
      try {
        client.write(Buffer.concat([encode('GET', `dmg${i}`), encode('GET', `b${i}`), encode('GET', `c${i}`)]));
        await client.until(() => {
          const read = readStrict(client.bytes);
          return read.invalid || read.replies.length >= 3;
        }, 3000).catch(() => undefined);
        const { replies, invalid } = readStrict(client.bytes);
        assert.equal(invalid, false, `only valid replies: ${JSON.stringify(client.data)}`);
        assert.equal(replies.length, 3, `three replies: ${JSON.stringify(replies)}`);
        assert.match(replies[0]!, /^-ERR /);
        for (const [index, key] of [[1, `b${i}`], [2, `c${i}`]] as const) {
          const own = `$${key.length + 4}\r\nval:${key}\r\n`;
          assert.ok(replies[index]!.startsWith('-ERR ') || replies[index] === own, `GET ${key} got ${JSON.stringify(replies[index])}`);
        }
      } finally {
        client.close();
      }
    });
  });
});
