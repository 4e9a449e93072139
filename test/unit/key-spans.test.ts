import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeySpans } from '../../src/protocol/key-spans.js';

const fragment = (reply: string) => ({ data: Buffer.alloc(0), reply: Buffer.from(reply), keyPositions: null });

describe('the answers of the keys of a split request, joined in key order', () => {
  it('copies each placed span after the head, in key order, then the tail', () => {
    const fragments = [fragment('xxAAyyCC'), fragment('B')];
    const spans = KeySpans.forKeys(3);
    spans.place(2, 0, 6, 8);
    spans.place(0, 0, 2, 4);
    spans.place(1, 1, 0, 1);
    assert.equal(spans.join(fragments, '<', Buffer.from('>')).toString(), '<AABCC>');
  });

  it('leaves out keys that were not placed (memcached omits the keys it does not hold)', () => {
    const spans = KeySpans.forKeys(3);
    spans.place(1, 0, 0, 3);
    assert.equal(spans.join([fragment('one')], '', null).toString(), 'one');
  });

  it('forgets the keys of the previous merge', () => {
    const first = KeySpans.forKeys(2);
    first.place(0, 0, 0, 1);
    first.place(1, 0, 1, 2);
    assert.equal(first.join([fragment('ab')], '', null).toString(), 'ab');
    const second = KeySpans.forKeys(2);
    second.place(1, 0, 0, 1);
    assert.equal(second.join([fragment('c')], '', null).toString(), 'c');
  });

  it('takes more keys than the shared tables hold', () => {
    const keyCount = 10000;
    const spans = KeySpans.forKeys(keyCount);
    for (let k = 0; k < keyCount; k++) spans.place(k, 0, k % 2, (k % 2) + 1);
    const joined = spans.join([fragment('ab')], '', null).toString();
    assert.equal(joined, 'ab'.repeat(keyCount / 2));
  });
});
