// Each codec's probe request is answered by a real server of its protocol, and its reply scanner
// finds that whole reply: what the health and latency checks will rely on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient } from '../helpers/raw-client.js';
import { RedisServer } from '../helpers/redis-server.js';
import { MemcachedServer } from '../helpers/memcached.js';
import { codecFor } from '../../src/protocol/index.js';
import type { Codec } from '../../src/protocol/codec.js';

async function probe(codec: Codec, port: number): Promise<string> {
  const client = await RawClient.connect(port);
  try {
    client.write(codec.probeRequest);
    const scanner = codec.createReplyScanner();
    await client.until(() => scanner.scan(client.bytes, 0) > 0, 5000);
    return client.bytes.toString('latin1', 0, scanner.scan(client.bytes, 0));
  } finally {
    client.close();
  }
}

describe('codec probe requests', () => {
  let redis: RedisServer;
  let memcached: MemcachedServer;

  before(async () => {
    redis = await RedisServer.start();
    memcached = await MemcachedServer.start();
  });

  after(async () => {
    await redis?.destroy();
    await memcached?.stop();
  });

  test('redis: PING gets +PONG', async () => {
    assert.equal(await probe(codecFor('redis'), redis.port), '+PONG\r\n');
  });

  test('memcache: version gets VERSION <version>', async () => {
    assert.match(await probe(codecFor('memcache'), memcached.port), /^VERSION \d+\.\d+\.\d+\r\n$/);
  });
});
