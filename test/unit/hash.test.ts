// Key hash functions against values produced by real twemproxy.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { HASH_NAMES, type HashName } from '../../src/config/types.js';
import { hashFunction, md5Digest } from '../../src/hash/index.js';

function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

/** hashes-A.json: hash name -> key (raw bytes 0x00-0x7f as a JSON string) -> twemproxy's hash. */
type ReferenceHashes = Record<HashName, Record<string, number>>;
/** Values from twemproxy's own C hash functions for bytes >= 0x80, keys in hex. */
type HighByteHashes = { keys: string[] } & Record<HashName, number[]>;

const reference = readFixture<ReferenceHashes>('hashes-A.json');
const highBytes = readFixture<HighByteHashes>('hashes-twemproxy-c-high-bytes.json');

/** Deterministic bytes, so failures reproduce. */
function pseudoRandomBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

describe('hash functions reproduce twemproxy (hashes-A.json)', () => {
  it('covers every configurable hash', () => {
    assert.deepEqual(Object.keys(reference).sort(), [...HASH_NAMES].sort());
  });

  for (const name of HASH_NAMES) {
    it(`${name}: all ${Object.keys(reference[name]).length} keys`, () => {
      const fn = hashFunction(name);
      const mismatches = Object.entries(reference[name])
        .map(([key, expected]) => {
          const bytes = Buffer.from(key, 'latin1');
          return { key, expected, actual: fn(bytes, 0, bytes.length) };
        })
        .filter(({ expected, actual }) => expected !== actual);
      assert.deepEqual(mismatches, []);
    });
  }
});

describe('hash functions reproduce twemproxy C on bytes >= 0x80 and any length', () => {
  for (const name of HASH_NAMES) {
    it(`${name}: all ${highBytes.keys.length} keys, at offset 0 and inside a larger buffer`, () => {
      const fn = hashFunction(name);
      const mismatches: string[] = [];
      highBytes.keys.forEach((hex, i) => {
        const key = Buffer.from(hex, 'hex');
        const framed = Buffer.concat([Buffer.from('*3\r\n'), key, Buffer.from('\r\n')]);
        const expected = highBytes[name][i];
        if (fn(key, 0, key.length) !== expected) mismatches.push(`${hex} alone`);
        if (fn(framed, 4, 4 + key.length) !== expected) mismatches.push(`${hex} framed`);
      });
      assert.deepEqual(mismatches, []);
    });
  }
});

describe('hash function results', () => {
  it('are unsigned 32-bit integers', () => {
    for (const name of HASH_NAMES) {
      const fn = hashFunction(name);
      for (let length = 0; length < 40; length++) {
        const value = fn(pseudoRandomBytes(length, length + 1), 0, length);
        assert.ok(Number.isInteger(value) && value >= 0 && value <= 0xffffffff, `${name} gave ${value}`);
      }
    }
  });

  it('keep twemproxy quirks: crc32 is 15-bit, crc16 is not cut to 16 bits', () => {
    const crc32Values = Object.values(reference.crc32);
    assert.ok(crc32Values.every((value) => value <= 0x7fff));
    assert.ok(Object.values(reference.crc16).some((value) => value > 0xffff));
    const key = Buffer.from('key:1');
    assert.equal(hashFunction('crc32')(key, 0, key.length), reference.crc32['key:1']);
    assert.equal(hashFunction('crc16')(key, 0, key.length), reference.crc16['key:1']);
  });

  it('rejects an unknown hash name', () => {
    assert.throws(() => hashFunction('sha1' as HashName), RangeError);
  });
});

describe('md5', () => {
  const digestWords = new Uint32Array(4);

  function nodeDigestWords(bytes: Buffer): number[] {
    const digest = createHash('md5').update(bytes).digest();
    return [0, 1, 2, 3].map((i) => digest.readUInt32LE(4 * i));
  }

  it('matches node:crypto on random inputs of every padding boundary', () => {
    const lengths = [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096];
    for (let length = 0; length < 300; length++) lengths.push(length);
    for (const [i, length] of lengths.entries()) {
      const bytes = pseudoRandomBytes(length, 7 * i + 3);
      md5Digest(bytes, 0, bytes.length, digestWords);
      assert.deepEqual([...digestWords], nodeDigestWords(bytes), `length ${length}`);
      assert.equal(hashFunction('md5')(bytes, 0, bytes.length), digestWords[0]);
    }
  });

  it('hashes only the given range of a larger buffer', () => {
    const big = pseudoRandomBytes(500, 99);
    for (const [start, end] of [[0, 0], [3, 70], [100, 164], [1, 500], [250, 251]]) {
      md5Digest(big, start, end, digestWords);
      assert.deepEqual([...digestWords], nodeDigestWords(big.subarray(start, end)), `[${start}, ${end})`);
    }
  });
});
