// Bob Jenkins' lookup3 `hashlittle` with initval 13, as twemproxy's `jenkins`. twemproxy picks a
// word, half-word or byte reader by alignment; on little-endian machines all three give the
// result of the byte reader used here.

const JENKINS_INITVAL = 13;

// The three lanes of lookup3's state; module-level so mixing allocates nothing.
let a = 0;
let b = 0;
let c = 0;

function rotate(x: number, bits: number): number {
  return (x << bits) | (x >>> (32 - bits));
}

function mix(): void {
  a = (a - c) | 0; a ^= rotate(c, 4); c = (c + b) | 0;
  b = (b - a) | 0; b ^= rotate(a, 6); a = (a + c) | 0;
  c = (c - b) | 0; c ^= rotate(b, 8); b = (b + a) | 0;
  a = (a - c) | 0; a ^= rotate(c, 16); c = (c + b) | 0;
  b = (b - a) | 0; b ^= rotate(a, 19); a = (a + c) | 0;
  c = (c - b) | 0; c ^= rotate(b, 4); b = (b + a) | 0;
}

function finalMix(): void {
  c ^= b; c = (c - rotate(b, 14)) | 0;
  a ^= c; a = (a - rotate(c, 11)) | 0;
  b ^= a; b = (b - rotate(a, 25)) | 0;
  c ^= b; c = (c - rotate(b, 16)) | 0;
  a ^= c; a = (a - rotate(c, 4)) | 0;
  b ^= a; b = (b - rotate(a, 14)) | 0;
  c ^= b; c = (c - rotate(b, 24)) | 0;
}

/** Byte `index` (0..3) of a little-endian word, placed at its position in that word. */
function byteAt(buf: Buffer, at: number, index: number): number {
  return buf[at + index] << (8 * index);
}

function littleEndian32(buf: Buffer, at: number): number {
  return byteAt(buf, at, 0) | byteAt(buf, at, 1) | byteAt(buf, at, 2) | byteAt(buf, at, 3);
}

/** The first `count` (0..4) bytes at `at` as the low part of a little-endian word. */
function partialWord(buf: Buffer, at: number, count: number): number {
  let word = 0;
  for (let i = 0; i < count; i++) word |= byteAt(buf, at, i);
  return word;
}

export function jenkins(buf: Buffer, start: number, end: number): number {
  const length = end - start;
  a = b = c = (0xdeadbeef + length + JENKINS_INITVAL) | 0;

  let at = start;
  // Only blocks with more bytes after them are mixed here; the last 1..12 bytes go below.
  for (; end - at > 12; at += 12) {
    a = (a + littleEndian32(buf, at)) | 0;
    b = (b + littleEndian32(buf, at + 4)) | 0;
    c = (c + littleEndian32(buf, at + 8)) | 0;
    mix();
  }

  const remaining = end - at;
  if (remaining === 0) return c >>> 0; // lookup3 skips the final mix for an empty key
  a = (a + partialWord(buf, at, Math.min(remaining, 4))) | 0;
  b = (b + partialWord(buf, at + 4, Math.min(Math.max(remaining - 4, 0), 4))) | 0;
  c = (c + partialWord(buf, at + 8, Math.max(remaining - 8, 0))) | 0;
  finalMix();
  return c >>> 0;
}
