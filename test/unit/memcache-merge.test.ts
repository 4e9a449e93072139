import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeRetrieval } from '../../src/protocol/memcache/merge.js';

const fragment = (request: string, reply: string, keyPositions: number[]) =>
  ({ data: Buffer.from(request), reply: Buffer.from(reply, 'latin1'), keyPositions });

describe('merging a get split across servers', () => {
  it('puts each value at its key position, strips each END and ends with one', () => {
    const merged = mergeRetrieval([
      fragment('get a d\r\n', 'VALUE a 0 1\r\n1\r\nVALUE d 3 2\r\n\r\n\r\nEND\r\n', [0, 3]),
      fragment('get c b\r\n', 'VALUE b 0 1\r\n2\r\nEND\r\n', [2, 1]),
    ], 4);
    assert.equal(merged.toString('latin1'), 'VALUE a 0 1\r\n1\r\nVALUE b 0 1\r\n2\r\nVALUE d 3 2\r\n\r\n\r\nEND\r\n');
  });

  it('keeps gets CAS uniques and repeated keys, each at its positions', () => {
    const merged = mergeRetrieval([
      fragment('gets k k\r\n', 'VALUE k 0 1 41\r\nx\r\nVALUE k 0 1 41\r\nx\r\nEND\r\n', [0, 2]),
      fragment('gets j\r\n', 'VALUE j 0 1 7\r\ny\r\nEND\r\n', [1]),
    ], 3);
    assert.equal(merged.toString(), 'VALUE k 0 1 41\r\nx\r\nVALUE j 0 1 7\r\ny\r\nVALUE k 0 1 41\r\nx\r\nEND\r\n');
  });

  it('gives one END when nothing was found', () => {
    assert.equal(mergeRetrieval([fragment('get a\r\n', 'END\r\n', [0]), fragment('get b\r\n', 'END\r\n', [1])], 2).toString(), 'END\r\n');
  });

  it('an error from one server is the answer', () => {
    const error = 'SERVER_ERROR out of memory\r\n';
    assert.equal(mergeRetrieval([fragment('get a\r\n', 'VALUE a 0 1\r\n1\r\nEND\r\n', [0]), fragment('get b\r\n', error, [1])], 2).toString(), error);
  });

  it('a value for a key that was not asked becomes an error instead of a wrong answer', () => {
    assert.match(mergeRetrieval([fragment('get a\r\n', 'VALUE z 0 1\r\n1\r\nEND\r\n', [0]), fragment('get b\r\n', 'END\r\n', [1])], 2)
      .toString(), /^SERVER_ERROR nutcracker: unexpected reply/);
    assert.match(mergeRetrieval([fragment('get a b\r\n', 'VALUE b 0 1\r\n1\r\nVALUE a 0 1\r\n2\r\nEND\r\n', [0, 1])], 2)
      .toString(), /^SERVER_ERROR nutcracker: unexpected reply/);
  });
});
