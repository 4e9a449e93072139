// Key hash functions by their twemproxy names.
import type { HashName } from '../config/types.js';
import type { HashFn } from './hash-fn.js';
import { crc16 } from './crc16.js';
import { crc32, crc32a } from './crc32.js';
import { fnv1_32, fnv1_64, fnv1a_32, fnv1a_64 } from './fnv.js';
import { hsieh } from './hsieh.js';
import { jenkins } from './jenkins.js';
import { md5 } from './md5.js';
import { murmur } from './murmur.js';
import { oneAtATime } from './one-at-a-time.js';

export type { HashFn } from './hash-fn.js';
export { md5Digest } from './md5.js';

const HASH_FUNCTIONS: Readonly<Record<HashName, HashFn>> = {
  one_at_a_time: oneAtATime,
  md5,
  crc16,
  crc32,
  crc32a,
  fnv1_64,
  fnv1a_64,
  fnv1_32,
  fnv1a_32,
  hsieh,
  murmur,
  jenkins,
};

/** The hash function twemproxy uses for `hash: <name>`. */
export function hashFunction(name: HashName): HashFn {
  const fn = HASH_FUNCTIONS[name];
  if (fn === undefined) throw new RangeError(`unknown hash function '${String(name)}'`);
  return fn;
}
export { hashKey, parseHashTag, type HashTag } from './hash-tag.js';
