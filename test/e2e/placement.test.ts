// Keys land on the shard where twemproxy puts them: the reference placements recorded with the
// real twemproxy, checked end to end by writing through the proxy and looking on each backend.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Nutcracker } from '../helpers/nutcracker.js';
import { RawClient, encode } from '../helpers/raw-client.js';
import { RedisServer, startRedisServers } from '../helpers/redis-server.js';

interface PlacementCase {
  hash: string;
  distribution: string;
  hash_tag: string | null;
  keys: Record<string, string>;
}

const vectors = JSON.parse(readFileSync(new URL('../../../test/fixtures/distribution-A.json', import.meta.url), 'utf8')) as {
  servers: string[];
  cases: PlacementCase[];
};

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
    backends = await startRedisServers(vectors.servers.length);
  });

  after(async () => {
    for (const backend of backends) await backend.destroy();
  });

  for (const [hash, distribution, hashTag] of CHOSEN) {
    test(`${hash} + ${distribution}${hashTag === null ? '' : ` + hash_tag ${hashTag}`}`, async () => {
      const placement = vectors.cases.find((c) => c.hash === hash && c.distribution === distribution && c.hash_tag === hashTag)!;
      // Same names and weights as the recorded pool, on this run's ports: ketama hashes names, not addresses.
      const servers = vectors.servers.map((line, i) => {
        const [address, name] = line.split(' ');
        const weight = address!.split(':')[2];
        return { name: name!, line: `${backends[i]!.address}:${weight} ${name}` };
      });
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
