import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCursor, nextCursor } from '../../src/proxy/redis-scan.js';

describe('pool-wide SCAN cursor', () => {
  it('cursor 0 starts at the first server, with its cursor 0', () => {
    assert.deepEqual(decodeCursor('0', 3), { serverIndex: 0, serverCursor: 0n });
  });

  it('carries the server and its cursor through a round trip, for every server', () => {
    for (let index = 0; index < 5; index++) {
      for (const serverCursor of [1n, 7n, 123456789n, (1n << 40n) + 3n]) {
        const cursor = nextCursor(serverCursor, index, 5, -1)!;
        assert.notEqual(cursor, 0n);
        assert.deepEqual(decodeCursor(cursor.toString(), 5), { serverIndex: index, serverCursor });
      }
    }
  });

  it('moves to the start of the next server when a server is done, and to 0 after the last', () => {
    assert.equal(nextCursor(0n, 0, 3, 1), 1n);
    assert.deepEqual(decodeCursor('1', 3), { serverIndex: 1, serverCursor: 0n });
    assert.equal(nextCursor(0n, 1, 3, 2), 2n);
    assert.equal(nextCursor(0n, 2, 3, -1), 0n);
  });

  it('refuses what is not an unsigned 64-bit decimal, and cursors that would not fit in one', () => {
    for (const text of ['', '-1', 'abc', '1.5', ' 1', '18446744073709551616']) assert.equal(decodeCursor(text, 3), null, text);
    assert.deepEqual(decodeCursor('18446744073709551615', 1), { serverIndex: 0, serverCursor: (1n << 64n) - 1n });
    assert.equal(nextCursor(1n << 63n, 1, 3, -1), null);
  });
});
