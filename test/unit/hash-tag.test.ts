// hash_tag: which bytes of a key twemproxy hashes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashFunction, type HashFn } from '../../src/hash/index.js';
import { hashKey, parseHashTag } from '../../src/hash/hash-tag.js';

const CURLY = parseHashTag('{}');

/** A fake hash that records the bytes it was asked to hash. */
function recordingHash(): { fn: HashFn; hashed: string[] } {
  const hashed: string[] = [];
  const fn: HashFn = (buf, start, end) => {
    hashed.push(buf.toString('latin1', start, end));
    return 42;
  };
  return { fn, hashed };
}

function hashedPart(key: string, tag = CURLY): string | undefined {
  const { fn, hashed } = recordingHash();
  const bytes = Buffer.from(key, 'latin1');
  hashKey(fn, tag, bytes, 0, bytes.length);
  return hashed[0];
}

describe('parseHashTag', () => {
  it('gives the two byte codes', () => {
    assert.deepEqual(parseHashTag('{}'), { open: 0x7b, close: 0x7d });
    assert.deepEqual(parseHashTag('$$'), { open: 0x24, close: 0x24 });
  });

  it('gives null when the pool has no hash_tag', () => {
    assert.equal(parseHashTag(null), null);
  });

  it('refuses anything but exactly two bytes, as twemproxy does', () => {
    for (const text of ['', '{', '{}}', '«»']) assert.throws(() => parseHashTag(text), RangeError, text);
  });

  it('counts bytes, not characters: one two-byte UTF-8 character is a valid tag to twemproxy', () => {
    assert.deepEqual(parseHashTag('é'), { open: 0xc3, close: 0xa9 });
  });
});

describe('hashKey with hash_tag "{}" (twemproxy reference cases)', () => {
  const cases: [key: string, hashed: string][] = [
    ['{}', '{}'],
    ['{}{x}', '{}{x}'],
    ['{{x}}', '{x'],
    ['a{b}c{d}', 'b'],
    ['{x', '{x'],
    ['x}', 'x}'],
    ['}{', '}{'],
    ['user:{42}:name', '42'],
    ['{user1000}.following', 'user1000'],
    ['x{}', 'x{}'],
    ['a}b{c}', 'c'],
    ['{ }', ' '],
    ['}x{y}', 'y'],
    ['plain', 'plain'],
  ];
  for (const [key, hashed] of cases) {
    it(`${JSON.stringify(key)} hashes ${JSON.stringify(hashed)}`, () => {
      assert.equal(hashedPart(key), hashed);
    });
  }

  it('hashes the whole key when no hash_tag is configured', () => {
    assert.equal(hashedPart('user:{42}:name', null), 'user:{42}:name');
  });

  it('works with the same byte opening and closing the tag', () => {
    assert.equal(hashedPart('a$b$c', parseHashTag('$$')), 'b');
    assert.equal(hashedPart('a$$c', parseHashTag('$$')), 'a$$c');
  });

  it('looks for the tag only inside [start, end)', () => {
    const { fn, hashed } = recordingHash();
    const bytes = Buffer.from('{a}key{b}', 'latin1');
    hashKey(fn, CURLY, bytes, 3, 8); // "key{b": the "}" after it is out of range
    assert.deepEqual(hashed, ['key{b']);
  });

  it('gives the hash of the tag content', () => {
    const murmur = hashFunction('murmur');
    const key = Buffer.from('order:{7}:items');
    const tag = Buffer.from('7');
    assert.equal(hashKey(murmur, CURLY, key, 0, key.length), murmur(tag, 0, tag.length));
  });
});

describe('hashKey on an empty key', () => {
  it('is 0 without calling the hash function, as twemproxy', () => {
    const { fn, hashed } = recordingHash();
    assert.equal(hashKey(fn, CURLY, Buffer.alloc(0), 0, 0), 0);
    assert.equal(hashKey(fn, null, Buffer.from('abc'), 2, 2), 0);
    assert.deepEqual(hashed, []);
  });
});
