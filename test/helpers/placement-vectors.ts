// The key placements recorded with the real twemproxy (test/fixtures/distribution-A.json): a
// five-server pool (weights 1,1,2,1,3) and, per hash, distribution and hash_tag, the server of
// each key. The placement tests run that pool on this run's backends.
import { readFileSync } from 'node:fs';

export interface PlacementCase {
  hash: string;
  distribution: string;
  hash_tag: string | null;
  /** Key -> name of the server twemproxy put it on. */
  keys: Record<string, string>;
}

const vectors = JSON.parse(readFileSync(new URL('../../../test/fixtures/distribution-A.json', import.meta.url), 'utf8')) as {
  servers: string[];
  cases: PlacementCase[];
};

/** How many servers the recorded pool has. */
export const RECORDED_SERVER_COUNT = vectors.servers.length;

export function placementCase(hash: string, distribution: string, hashTag: string | null): PlacementCase {
  const found = vectors.cases.find((c) => c.hash === hash && c.distribution === distribution && c.hash_tag === hashTag);
  if (found === undefined) throw new Error(`no recorded placement for ${hash} + ${distribution} + ${hashTag}`);
  return found;
}

/**
 * The recorded pool's server lines on `addresses` (host:port, one per server, in order): the same
 * names and weights, since ketama hashes names, not addresses.
 */
export function recordedServers(addresses: readonly string[]): { name: string; line: string }[] {
  return vectors.servers.map((recorded, i) => {
    const [address, name] = recorded.split(' ');
    const weight = address!.split(':')[2];
    return { name: name!, line: `${addresses[i]!}:${weight} ${name}` };
  });
}
