// Keys of a memcached pool land on the shard where twemproxy puts them: the placements recorded
// with the real twemproxy (they hold for both protocols), checked by storing through the proxy
// and looking on each memcached.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Nutcracker } from '../helpers/nutcracker.js';
import { placementCase, RECORDED_SERVER_COUNT, recordedServers } from '../helpers/placement-vectors.js';
import { RawClient } from '../helpers/raw-client.js';
import { memcacheReplies, startMemcachedServers, type MemcachedServer } from '../helpers/memcached.js';

const CHOSEN = [['fnv1a_64', 'ketama', null], ['md5', 'modula', null], ['murmur', 'ketama', '{}']] as const;

/** memcached keys are printable and without spaces; the recorded keys include every byte below 0x80. */
const isMemcachedKey = (key: string) => /^[\x21-\x7e]+$/.test(key);

describe('memcached key placement matches twemproxy (five-server pool, weights 1,1,2,1,3)', () => {
  let backends: MemcachedServer[] = [];

  before(async () => {
    backends = await startMemcachedServers(RECORDED_SERVER_COUNT);
  });

  after(async () => {
    for (const backend of backends) await backend.stop();
  });

  for (const [hash, distribution, hashTag] of CHOSEN) {
    test(`${hash} + ${distribution}${hashTag === null ? '' : ` + hash_tag ${hashTag}`}`, async () => {
      const placement = placementCase(hash, distribution, hashTag);
      const servers = recordedServers(backends.map((backend) => backend.address));
      const options: Record<string, string | boolean> = { redis: false, hash, distribution };
      if (hashTag !== null) options['hash_tag'] = hashTag;
      const proxy = await Nutcracker.start({ mc: { servers: servers.map((server) => server.line), options } });
      const client = await RawClient.connect(proxy.port('mc'));
      try {
        const keys = Object.keys(placement.keys).filter(isMemcachedKey);
        assert.ok(keys.length > 100, `${keys.length} keys to check`);
        // Every set is answered before the shards are read (a noreply set may still be on its way).
        client.write(keys.map((key) => `set ${key} 0 0 1\r\n${hash.length % 10}\r\n`).join(''));
        const stored = await memcacheReplies(client, keys.length);
        assert.deepEqual(new Set(stored), new Set(['STORED\r\n']));
        const wrong: string[] = [];
        for (const [i, backend] of backends.entries()) {
          const held = new Set<string>();
          const replies = await backend.request(keys.map((key) => `get ${key}\r\n`).join(''), keys.length);
          replies.forEach((reply, k) => reply.startsWith('VALUE ') && held.add(keys[k]!));
          for (const key of keys) {
            if (held.has(key) !== (placement.keys[key] === servers[i]!.name)) wrong.push(`${JSON.stringify(key)} on ${servers[i]!.name}`);
          }
          await backend.request('flush_all\r\n');
        }
        assert.deepEqual(wrong, [], `${wrong.length} misplaced keys`);
      } finally {
        client.close();
        await proxy.destroy();
      }
    });
  }
});
