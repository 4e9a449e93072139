import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Merge } from '../../src/protocol/redis/commands.js';
import { mergeReplies } from '../../src/protocol/redis/merge.js';

const fragment = (reply: string, keyPositions: number[] | null = null) => ({ data: Buffer.alloc(0), reply: Buffer.from(reply), keyPositions });

describe('merging the replies of a split request', () => {
  it('MGET: puts each value back at its key position', () => {
    const merged = mergeReplies(Merge.Values, [
      fragment('*2\r\n$1\r\na\r\n$-1\r\n', [0, 3]),
      fragment('*2\r\n$2\r\nbb\r\n*1\r\n:1\r\n', [2, 1]),
    ], 4);
    assert.equal(merged.toString(), '*4\r\n$1\r\na\r\n*1\r\n:1\r\n$2\r\nbb\r\n$-1\r\n');
  });

  it('DEL and friends: sums the integers', () => {
    assert.equal(mergeReplies(Merge.Sum, [fragment(':2\r\n'), fragment(':0\r\n'), fragment(':5\r\n')], 0).toString(), ':7\r\n');
  });

  it('MSET: +OK only when every part said +OK', () => {
    assert.equal(mergeReplies(Merge.AllOk, [fragment('+OK\r\n'), fragment('+OK\r\n')], 0).toString(), '+OK\r\n');
  });

  it('any error reply wins, as the whole command failed', () => {
    const error = '-ERR Connection refused\r\n';
    assert.equal(mergeReplies(Merge.Values, [fragment('*1\r\n$1\r\na\r\n', [0]), fragment(error, [1])], 2).toString(), error);
    assert.equal(mergeReplies(Merge.Sum, [fragment(':1\r\n'), fragment(error)], 0).toString(), error);
  });

  it('a reply of the wrong shape becomes an error instead of a wrong answer', () => {
    assert.match(mergeReplies(Merge.Values, [fragment('*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n', [0, 1])], 2).toString(), /^-ERR /);
    assert.match(mergeReplies(Merge.Sum, [fragment('+OK\r\n')], 0).toString(), /^-ERR /);
  });
});
