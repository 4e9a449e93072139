// Bad input from one client: an error reply and a close for that client only; the proxy keeps
// serving everybody else and its memory stays bounded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, encode } from '../helpers/raw-client.js';
import { ShardedPool } from '../helpers/sharded-pool.js';
import { sleep } from '../helpers/ports.js';
import { readRssMb } from '../../bench/memory.js';

const MALFORMED: [string, string][] = [
  ['non-numeric count', '*x\r\n'],
  ['zero count', '*0\r\n'],
  ['negative count', '*-1\r\n'],
  ['huge count', '*99999999999\r\n'],
  ['negative bulk length', '*2\r\n$3\r\nGET\r\n$-5\r\n'],
  ['bulk length mismatch', '*2\r\n$3\r\nGET\r\n$3\r\nfooXX\r\n'],
  ['non-numeric bulk length', '*2\r\n$3\r\nGET\r\n$ab\r\nfoo\r\n'],
  ['512 MB bulk announced', '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n'],
  ['inline command with unbalanced quotes', 'SET k "\x01\x02\xff\r\n'],
  ['inline line over 64 KB without a newline', 'x'.repeat(70 * 1024)],
];

describe('malformed and abusive clients', () => {
  let pool: ShardedPool;
  let port: number;

  before(async () => {
    pool = await ShardedPool.start(2);
    port = pool.port;
  });

  after(async () => {
    await pool?.destroy();
  });

  for (const [name, bytes] of MALFORMED) {
    test(`${name}: a protocol error reply, then the close; other clients unaffected`, async () => {
      const bystander = await RawClient.connect(port);
      const client = await RawClient.connect(port);
      try {
        client.write(Buffer.from(bytes, 'latin1'));
        assert.equal(await client.waitClosed(), true, 'connection closed');
        assert.match(client.data, /^-ERR Protocol error[^\r\n]*\r\n$/);
        assert.equal(await bystander.command('SET', 'bystander', name), '+OK\r\n');
        assert.equal(await bystander.command('GET', 'bystander'), `$${name.length}\r\n${name}\r\n`);
      } finally {
        client.close();
        bystander.close();
      }
    });
  }

  test('replies owed to earlier pipelined requests come before the protocol error', async () => {
    const client = await RawClient.connect(port);
    try {
      client.write(Buffer.concat([encode('SET', 'before', '1'), encode('PING'), Buffer.from('*x\r\n'), encode('GET', 'before')]));
      assert.equal(await client.waitClosed(), true);
      assert.match(client.data, /^\+OK\r\n\+PONG\r\n-ERR Protocol error[^\r\n]*\r\n$/);
    } finally {
      client.close();
    }
  });

  test('an incomplete request waits for its remaining bytes', async () => {
    const client = await RawClient.connect(port);
    try {
      client.write('*2\r\n$3\r\nGET\r\n$10\r\nabc');
      await sleep(300);
      assert.equal(client.closed, false);
      assert.equal(client.data, '');
      client.write('defghij\r\n');
      assert.deepEqual(await client.replies(1), ['$-1\r\n']);
    } finally {
      client.close();
    }
  });

  test('a client that sends and never reads does not make the proxy memory grow without bound', async () => {
    const setter = await RawClient.connect(port);
    const value = 'v'.repeat(100 * 1024);
    assert.equal(await setter.command('SET', 'bigvalue', value), '+OK\r\n');
    const hog = await RawClient.connect(port);
    hog.pause();
    const batch = Buffer.concat(Array.from({ length: 500 }, () => encode('GET', 'bigvalue')));
    try {
      const samples: number[] = [];
      // 40 batches of 500 GETs ask for about 2 GB of replies that the hog never reads.
      for (let i = 0; i < 40; i++) {
        hog.write(batch);
        await sleep(75);
        if (i % 10 === 9) samples.push(readRssMb(pool.proxy.pid));
      }
      assert.ok(Math.max(...samples) < 400, `proxy RSS stays bounded (MB: ${samples.map(Math.round)})`);
      assert.equal(await setter.command('GET', 'small-check'), '$-1\r\n', 'other clients are still served');
    } finally {
      hog.close();
      setter.close();
    }
  });
});
