// MurmurHash2 as twemproxy's `murmur` (its seed is derived from the key length).

const MURMUR_M = 0x5bd1e995;
const MURMUR_SEED_FACTOR = 0xdeadbeef;

function littleEndian32(buf: Buffer, at: number): number {
  return buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24);
}

export function murmur(buf: Buffer, start: number, end: number): number {
  const length = end - start;
  let hash = Math.imul(MURMUR_SEED_FACTOR, length) ^ length;

  let at = start;
  for (; end - at >= 4; at += 4) {
    let word = Math.imul(littleEndian32(buf, at), MURMUR_M);
    word ^= word >>> 24;
    word = Math.imul(word, MURMUR_M);
    hash = Math.imul(hash, MURMUR_M) ^ word;
  }

  const remaining = end - at;
  if (remaining >= 3) hash ^= buf[at + 2] << 16;
  if (remaining >= 2) hash ^= buf[at + 1] << 8;
  if (remaining >= 1) hash = Math.imul(hash ^ buf[at], MURMUR_M);

  hash ^= hash >>> 13;
  hash = Math.imul(hash, MURMUR_M);
  hash ^= hash >>> 15;
  return hash >>> 0;
}
