// twemproxy's `ketama` consistent hashing: each live server gets ring points in proportion to its
// share of the live weight; a key goes to the first point at or after its hash, wrapping around.
import { md5Digest } from '../hash/md5.js';
import type { Dispatcher, WeightedServer } from './dispatcher.js';

/** Average ring points per server. */
const POINTS_PER_SERVER = 160;
/** Each md5 of "<name>-<i>" yields four 32-bit points. */
const POINTS_PER_HASH = 4;
/** twemproxy formats "<name>-<i>" into a 273-byte buffer: longer texts are cut to 272 bytes. */
const MAX_POINT_TEXT_BYTES = 272;

/**
 * Points for one server, computed in the same single-precision steps as twemproxy's C
 * (float share, float products, a double epsilon, then floorf) so rounding matches bit for bit.
 */
export function ketamaPointsFor(weight: number, totalWeight: number, liveCount: number): number {
  const share = Math.fround(Math.fround(weight) / Math.fround(totalWeight));
  const perServer = Math.fround(Math.fround(share * POINTS_PER_SERVER) / POINTS_PER_HASH);
  const scaled = Math.fround(perServer * Math.fround(liveCount));
  return Math.floor(Math.fround(scaled + 0.0000000001)) * POINTS_PER_HASH;
}

/** The text hashed for a server's `group`-th group of four points. */
function pointText(name: string, group: number): Buffer {
  const text = Buffer.from(`${name}-${group}`, 'utf8');
  return text.length > MAX_POINT_TEXT_BYTES ? text.subarray(0, MAX_POINT_TEXT_BYTES) : text;
}

interface Ring {
  values: Uint32Array;
  servers: Int32Array;
}

/** Ring points in twemproxy's insertion order: by server, then by group, then by digest word. */
function collectPoints(servers: readonly WeightedServer[], liveServers: readonly number[]): Ring {
  const totalWeight = liveServers.reduce((sum, index) => sum + servers[index].weight, 0);
  const counts = liveServers.map((index) => ketamaPointsFor(servers[index].weight, totalWeight, liveServers.length));
  const total = counts.reduce((sum, count) => sum + count, 0);
  const ring: Ring = { values: new Uint32Array(total), servers: new Int32Array(total) };
  const digest = new Uint32Array(POINTS_PER_HASH);
  let point = 0;
  liveServers.forEach((serverIndex, live) => {
    for (let group = 0; group < counts[live] / POINTS_PER_HASH; group++) {
      const text = pointText(servers[serverIndex].name, group);
      md5Digest(text, 0, text.length, digest);
      for (const value of digest) {
        ring.values[point] = value;
        ring.servers[point++] = serverIndex;
      }
    }
  });
  return ring;
}

/** Rings up to this many points sort as packed doubles (value * count + position stays exact). */
const MAX_PACKED_POINTS = 2 ** 21;

/**
 * Point positions in ascending value order. Equal values (rare md5 collisions, or repeated
 * texts of over-long names) keep insertion order, as glibc's merge-sort qsort does, so the
 * earlier server in sorted order owns a shared point.
 */
function sortedPositions(values: Uint32Array): Uint32Array {
  const count = values.length;
  if (count >= MAX_PACKED_POINTS) {
    return Uint32Array.from(values.keys()).sort((x, y) => values[x] - values[y] || x - y);
  }
  // A numeric typed-array sort is several times faster than a comparator over 160k points.
  const packed = new Float64Array(count);
  for (let i = 0; i < count; i++) packed[i] = values[i] * count + i;
  packed.sort();
  const positions = new Uint32Array(count);
  for (let i = 0; i < count; i++) positions[i] = packed[i] % count;
  return positions;
}

function sortRing(ring: Ring): Ring {
  const positions = sortedPositions(ring.values);
  const sorted: Ring = { values: new Uint32Array(positions.length), servers: new Int32Array(positions.length) };
  for (let i = 0; i < positions.length; i++) {
    sorted.values[i] = ring.values[positions[i]];
    sorted.servers[i] = ring.servers[positions[i]];
  }
  return sorted;
}

/** Index of the first point whose value is >= hash; values.length when there is none. */
function firstPointAtOrAfter(values: Uint32Array, hash: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle] < hash) low = middle + 1;
    else high = middle;
  }
  return low;
}

export function buildKetama(servers: readonly WeightedServer[], liveServers: readonly number[]): Dispatcher {
  const { values, servers: owners } = sortRing(collectPoints(servers, liveServers));
  return {
    serverFor(hash) {
      const point = firstPointAtOrAfter(values, hash);
      return owners[point === values.length ? 0 : point];
    },
  };
}
