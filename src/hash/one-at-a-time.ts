// Jenkins' one-at-a-time hash, as twemproxy's `one_at_a_time`.
import { signedChar } from './hash-fn.js';

export function oneAtATime(buf: Buffer, start: number, end: number): number {
  let hash = 0;
  for (let i = start; i < end; i++) {
    // twemproxy widens a signed char, so high bytes add 0xffffff80.. rather than 0x80..
    hash = (hash + signedChar(buf[i])) | 0;
    hash = (hash + (hash << 10)) | 0;
    hash ^= hash >>> 6;
  }
  hash = (hash + (hash << 3)) | 0;
  hash ^= hash >>> 11;
  hash = (hash + (hash << 15)) | 0;
  return hash >>> 0;
}
