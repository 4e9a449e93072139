// Keys land on the shard where twemproxy puts them: the reference placements recorded with the
// real twemproxy, checked end to end by writing through the proxy and looking on each backend.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Nutcracker } from '../helpers/nutcracker.js';
import { placementCase, RECORDED_SERVER_COUNT, recordedServers } from '../helpers/placement-vectors.js';
import { RawClient, encode } from '../helpers/raw-client.js';
import { RedisServer, startRedisServers } from '../helpers/redis-server.js';

const CHOSEN = [
  ['fnv1a_64', 'ketama', '{}'],
  ['md5', 'ketama', null],
  ['murmur', 'modula', null],
  ['crc32a', 'modula', '{}'],
  ['hsieh', 'ketama', null],
] as const;

describe('key placement matches twemproxy (five-server pool, weights 1,1,2,1,3)', () => {
  let backends: RedisServer[] = [];

  before(async () => {
    backends = await startRedisServers(RECORDED_SERVER_COUNT);
  });

  after(async () => {
    for (const backend of backends) await backend.destroy();
  });

  for (const [hash, distribution, hashTag] of CHOSEN) {
    test(`${hash} + ${distribution}${hashTag === null ? '' : ` + hash_tag ${hashTag}`}`, async () => {
      const placement = placementCase(hash, distribution, hashTag);
      const servers = recordedServers(backends.map((backend) => backend.address));
      const options: Record<string, string> = { hash, distribution };
      if (hashTag !== null) options['hash_tag'] = hashTag;
      const proxy = await Nutcracker.start({ alpha: { servers: servers.map((server) => server.line), options } });
      const client = await RawClient.connect(proxy.port('alpha'));
      try {
        for (const backend of backends) await backend.command('FLUSHALL');
        const keys = Object.keys(placement.keys);
        client.write(Buffer.concat(keys.map((key) => encode('SET', Buffer.from(key, 'latin1'), 'x'))));
        const replies = await client.replies(keys.length);
        assert.ok(replies.every((reply) => reply === '+OK\r\n'));
        const wrong: string[] = [];
        for (const [i, backend] of backends.entries()) {
          const probe = await RawClient.connect(backend.port);
          probe.write(Buffer.concat(keys.map((key) => encode('EXISTS', Buffer.from(key, 'latin1')))));
          const found = await probe.replies(keys.length);
          probe.close();
          keys.forEach((key, k) => {
            const expectedHere = placement.keys[key] === servers[i]!.name;
            if ((found[k] === ':1\r\n') !== expectedHere) wrong.push(`${JSON.stringify(key)} on ${servers[i]!.name}`);
          });
        }
        assert.deepEqual(wrong, [], `${wrong.length} misplaced keys`);
      } finally {
        client.close();
        await proxy.destroy();
      }
    });
  }
});
