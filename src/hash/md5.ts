// MD5 (RFC 1321) over a byte range, without allocating: twemproxy's `md5` key hash and the source
// of ketama's ring points. node:crypto would allocate a Hash object and a digest per call.

/** Per-step additive constants: floor(|sin(i + 1)| * 2^32). */
const SINE_TABLE = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32));
/** Left-rotation amount of each step: four per round, repeated four times within the round. */
const STEP_SHIFTS = Uint8Array.from({ length: 64 }, (_, step) => [
  7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21,
][((step >> 4) << 2) | (step & 3)]);
/** Message word used by each step: i, 5i+1, 3i+5 and 7i (mod 16) in rounds one to four. */
const STEP_WORDS = Uint8Array.from({ length: 64 }, (_, step) => [
  step, 5 * step + 1, 3 * step + 5, 7 * step,
][step >> 4] & 15);
const INITIAL_STATE = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476);
const BLOCK_BYTES = 64;
/** Byte offset of the message bit length in the last block. */
const LENGTH_FIELD_AT = 56;

// Module-level scratch: the hash runs to completion synchronously, so sharing is safe.
const state = new Int32Array(4);
const words = new Int32Array(16);
const digestScratch = new Uint32Array(4);

function loadWords(block: Buffer, at: number): void {
  for (let i = 0; i < 16; i++, at += 4) {
    words[i] = block[at] | (block[at + 1] << 8) | (block[at + 2] << 16) | (block[at + 3] << 24);
  }
}

/** Runs the 64 steps (four rounds of 16, differing in their boolean function) over the message words. */
function compressWords(): void {
  let a = state[0];
  let b = state[1];
  let c = state[2];
  let d = state[3];
  for (let step = 0; step < 64; step++) {
    let mixed: number;
    if (step < 16) mixed = (b & c) | (~b & d);
    else if (step < 32) mixed = (d & b) | (~d & c);
    else if (step < 48) mixed = b ^ c ^ d;
    else mixed = c ^ (b | ~d);
    const sum = (a + mixed + SINE_TABLE[step] + words[STEP_WORDS[step]]) | 0;
    const shift = STEP_SHIFTS[step];
    a = d;
    d = c;
    c = b;
    b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
}

function compressBlock(block: Buffer, at: number): void {
  loadWords(block, at);
  compressWords();
}

/** ORs byte `value` into the message words at byte position `index` (little-endian). */
function setMessageByte(index: number, value: number): void {
  words[index >> 2] |= value << ((index & 3) << 3);
}

/** Pads the last partial block (0x80, zeros, 64-bit little-endian bit length) and compresses it. */
function compressTail(buf: Buffer, at: number, end: number, totalBytes: number): void {
  const remaining = end - at;
  words.fill(0);
  for (let i = 0; i < remaining; i++) setMessageByte(i, buf[at + i]);
  setMessageByte(remaining, 0x80);
  if (remaining >= LENGTH_FIELD_AT) {
    compressWords();
    words.fill(0);
  }
  const lengthWord = LENGTH_FIELD_AT / 4;
  words[lengthWord] = (totalBytes * 8) % 2 ** 32; // bit length, low word first
  words[lengthWord + 1] = Math.floor(totalBytes / 2 ** 29);
  compressWords();
}

/**
 * The MD5 digest of buf[start, end) as four little-endian 32-bit words written into `out`
 * (word i = digest bytes 4i..4i+3, the way twemproxy reads them).
 */
export function md5Digest(buf: Buffer, start: number, end: number, out: Uint32Array): void {
  state.set(INITIAL_STATE);
  let at = start;
  for (; end - at >= BLOCK_BYTES; at += BLOCK_BYTES) compressBlock(buf, at);
  compressTail(buf, at, end, end - start);
  for (let i = 0; i < 4; i++) out[i] = state[i];
}

/** twemproxy's `md5` key hash: the first four digest bytes, little-endian. */
export function md5(buf: Buffer, start: number, end: number): number {
  md5Digest(buf, start, end, digestScratch);
  return digestScratch[0];
}
