// Paul Hsieh's SuperFastHash, as twemproxy's `hsieh`.
import { signedChar } from './hash-fn.js';

function littleEndian16(buf: Buffer, at: number): number {
  return buf[at] | (buf[at + 1] << 8);
}

export function hsieh(buf: Buffer, start: number, end: number): number {
  const length = end - start;
  if (length <= 0) return 0;

  let hash = 0;
  let at = start;
  for (let blocks = Math.floor(length / 4); blocks > 0; blocks--) {
    hash = (hash + littleEndian16(buf, at)) | 0;
    const mixed = (littleEndian16(buf, at + 2) << 11) ^ hash;
    hash = (hash << 16) ^ mixed;
    hash = (hash + (hash >>> 11)) | 0;
    at += 4;
  }
  hash = mixTail(hash, buf, at, length & 3);
  return avalanche(hash) >>> 0;
}

function mixTail(hash: number, buf: Buffer, at: number, remaining: number): number {
  if (remaining === 3) {
    hash = (hash + littleEndian16(buf, at)) | 0;
    hash ^= hash << 16;
    // twemproxy reads this third byte through a signed char: high bytes set the top bits.
    hash ^= signedChar(buf[at + 2]) << 18;
    hash = (hash + (hash >>> 11)) | 0;
  } else if (remaining === 2) {
    hash = (hash + littleEndian16(buf, at)) | 0;
    hash ^= hash << 11;
    hash = (hash + (hash >>> 17)) | 0;
  } else if (remaining === 1) {
    hash = (hash + buf[at]) | 0;
    hash ^= hash << 10;
    hash = (hash + (hash >>> 1)) | 0;
  }
  return hash;
}

function avalanche(hash: number): number {
  hash ^= hash << 3;
  hash = (hash + (hash >>> 5)) | 0;
  hash ^= hash << 4;
  hash = (hash + (hash >>> 17)) | 0;
  hash ^= hash << 25;
  hash = (hash + (hash >>> 6)) | 0;
  return hash;
}
