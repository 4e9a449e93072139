// hash_tag handling: which part of a key is hashed.
import type { HashFn } from './hash-fn.js';

/** The hash_tag, e.g. "{}", as two byte codes; null when the pool has none. */
export interface HashTag {
  open: number;
  close: number;
}

/** Parses a pool's `hash_tag`; twemproxy accepts exactly two bytes. */
export function parseHashTag(text: string | null): HashTag | null {
  if (text === null) return null;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length !== 2) {
    throw new RangeError(`hash_tag '${text}' is not a valid hash tag string with two characters`);
  }
  return { open: bytes[0], close: bytes[1] };
}

function indexOfByte(buf: Buffer, byte: number, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    if (buf[i] === byte) return i;
  }
  return -1;
}

/** Hashes a key (bytes buf[start,end)), honouring the hash_tag exactly as twemproxy does. No allocation. */
export function hashKey(fn: HashFn, tag: HashTag | null, buf: Buffer, start: number, end: number): number {
  if (tag !== null) {
    // Only the first open byte counts; the tag must be non-empty, otherwise the whole key is hashed.
    const open = indexOfByte(buf, tag.open, start, end);
    if (open !== -1) {
      const close = indexOfByte(buf, tag.close, open + 1, end);
      if (close !== -1 && close - open > 1) {
        start = open + 1;
        end = close;
      }
    }
  }
  // twemproxy never calls the hash function for an empty key: its hash is 0.
  if (end === start) return 0;
  return fn(buf, start, end);
}
