// Defects the memcached fuzz runs found, each replayed on its own. First those of the request run
// (seed 20261201, `npm run fuzz -- --seed 20261201 --protocol memcache --run requests`): each is a request the proxy forwards and counts as one
// reply (or none, for noreply) where memcached answers another number of replies: on the server
// connection shared by clients, every later reply then goes to the request before it, another
// client's. The proxy now refuses each of them itself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MEMCACHE } from '../fuzz/memcache.js';
import { FakeServer } from '../helpers/fake-server.js';
import { MemcachedPool, memcacheReplies, splitMemcacheReplies } from '../helpers/memcached.js';
import { Nutcracker, readStats } from '../helpers/nutcracker.js';
import { waitFor } from '../helpers/ports.js';
import { RawClient } from '../helpers/raw-client.js';

/** What memcached does with it, checked against memcached 1.6 directly (the proxy used to forward all of them). */
const FINDINGS: { name: string; request: string; memcached: string }[] = [
  {
    name: 'a NUL byte after noreply in a storage line',
    request: 'set fz:nul-noreply 0 0 1 noreply\0\r\nx\r\n',
    memcached: 'memcached ends the line at the NUL, takes the noreply and sends nothing; the proxy waits for a reply',
  },
  {
    name: 'a NUL byte in the key of a noreply delete',
    request: 'delete fz:nul\0key noreply\r\n',
    memcached: 'memcached reads "delete fz:nul" and answers NOT_FOUND; the proxy expects no reply',
  },
  {
    name: 'a NUL byte in the key of a set',
    request: 'set fz:nul\0key 0 0 1\r\nx\r\n',
    memcached: 'memcached reads "set fz:nul" (ERROR), then the data line as a command (ERROR): two replies',
  },
  {
    name: 'a CAS unique over 2^64-1 (20 digits)',
    request: 'cas fz:cas 0 0 1 99999999999999999999\r\nx\r\n',
    memcached: 'memcached answers CLIENT_ERROR bad command line format without reading the data, then ERROR for the data line: two replies',
  },
  {
    name: 'a CAS unique over 2^64-1 with noreply',
    request: 'cas fz:cas 0 0 1 18446744073709551616 noreply\r\nx\r\n',
    memcached: 'memcached refuses the line silently, then answers ERROR to the data line; the proxy expects no reply',
  },
  {
    name: 'flags over 2^64-1 (20 digits)',
    request: 'set fz:flags 18446744073709551616 0 1\r\nx\r\n',
    memcached: 'memcached answers CLIENT_ERROR bad command line format without reading the data, then ERROR for the data line: two replies',
  },
  {
    name: 'flags over 2^64-1 with noreply (seed 2, case 4304)',
    request: 'prepend fz:flags 18446744073709551616 0 3 noreply\r\npre\r\n',
    memcached: 'memcached refuses the line silently, then answers ERROR to the data line; the proxy expects no reply',
  },
];

/** The requests memcached received from the proxy, per the stats (refreshed every 100 ms). */
async function serverRequests(pool: MemcachedPool): Promise<number> {
  const stats = await readStats(pool.proxy.statsPort);
  return ((stats['mc'] as Record<string, Record<string, number>>)['m1']!)['requests']!;
}

describe('memcached requests the fuzzer found desynchronising a shared server connection', () => {
  FINDINGS.forEach(({ name, request }) => {
    test(`${name}: a client sharing the server connection gets its own reply`, async () => {
      // A pool of its own: a desynchronised server connection would spoil the next test.
      const pool = await MemcachedPool.start(1);
      const sender = await RawClient.connect(pool.port);
      const bystander = await RawClient.connect(pool.port);
      try {
        assert.equal((await pool.servers[0]!.request('set fz:bystander 0 0 9\r\nbystander\r\n'))[0], 'STORED\r\n');
        // memcached is frozen while both requests reach it on the one server connection, so that
        // it reads them together, as in a pipelined stream.
        await pool.servers[0]!.freeze();
        const before = await serverRequests(pool);
        sender.write(request);
        // The proxy refuses it itself (an error while memcached is frozen), or forwards it.
        await waitFor('the damaged request refused or forwarded', async () => sender.bytes.length > 0 || (await serverRequests(pool)) > before);
        const base = await serverRequests(pool);
        bystander.write('get fz:bystander\r\n');
        await waitFor('the bystander\'s get forwarded', async () => (await serverRequests(pool)) > base);
        pool.servers[0]!.thaw();
        const reply = (await memcacheReplies(bystander, 1, 3000).catch(() => []))[0] ?? `no reply after 3 s: ${JSON.stringify(bystander.data)}`;
        assert.equal(reply, 'VALUE fz:bystander 0 9\r\nbystander\r\nEND\r\n', 'the bystander gets its own value');
        // A second reply, were the stream out of step, would come within this wait.
        await memcacheReplies(sender, 2, 300).catch(() => undefined);
        assert.ok(!sender.data.includes('bystander'), `the sender never gets the bystander's value: ${JSON.stringify(sender.data)}`);
        assert.deepEqual(splitMemcacheReplies(sender.bytes), ['CLIENT_ERROR bad command line format\r\n'], 'the proxy refuses it as memcached would frame it');
      } finally {
        pool.servers[0]!.thaw();
        sender.close();
        bystander.close();
        await pool.destroy();
      }
    });
  });
});

// Damage the reply fuzzer found the proxy forwarding as a reply (seed 2, `npm run fuzz -- --seed 2
// --protocol memcache --run replies --seconds 20`): a bare CR inside a reply line. memcached never
// sends one (keys hold no control characters); a stream carrying it is damaged, and what follows
// in it may read as replies to later requests (there, a second copy of the reply followed).
const DAMAGED_REPLIES: [string, string][] = [
  ['a VALUE line whose key holds a bare CR', 'VALUE h:dmg0\rX 0 1\r\nx\r\nEND\r\n'],
  ['a SERVER_ERROR line with a bare CR in its text', 'SERVER_ERROR a\rVALUE\r\n'],
];

describe('damaged memcached replies found by the reply fuzzer', () => {
  let fake: FakeServer;
  let proxy: Nutcracker;

  before(async () => {
    fake = await FakeServer.start({
      framing: () => MEMCACHE.requestReader(),
      answer: MEMCACHE.fakeAnswer,
      plan: () => (correct) => {
        const damage = /^VALUE h:dmg(\d+) /.exec(correct.toString('latin1'));
        return damage === null ? null : { bytes: Buffer.from(DAMAGED_REPLIES[Number(damage[1])]![1], 'latin1'), then: 'continue' };
      },
    });
    proxy = await Nutcracker.start({ mc: { servers: [`${fake.address}:1 f1`], options: { redis: false, timeout: 1000 } } });
  });

  after(async () => {
    await proxy?.destroy();
    await fake?.close();
  });

  DAMAGED_REPLIES.forEach(([name], i) => {
    test(`${name}: the damaged get gets a SERVER_ERROR, the gets after it their own reply or an error`, async () => {
        const client = await RawClient.connect(proxy.port('mc'));
        try {
          const requests = [`h:dmg${i}`, `h:b${i}`, `h:c${i}`].map((key) => Buffer.from(`get ${key}\r\n`));
          client.write(Buffer.concat(requests));
          const replies = await memcacheReplies(client, 3, 3000).catch(() => splitMemcacheReplies(client.bytes));
          assert.equal(replies.length, 3, `three replies: ${JSON.stringify(replies)}`);
          assert.match(replies[0]!, /^SERVER_ERROR [^\r]*\r\n$/);
          requests.slice(1).forEach((request, r) => {
            const own = MEMCACHE.fakeAnswer(request).toString('latin1');
            assert.ok(replies[r + 1]!.startsWith('SERVER_ERROR ') || replies[r + 1] === own, `${request} got ${JSON.stringify(replies[r + 1])}`);
          });
        } finally {
          client.close();
        }
      });
  });
});
