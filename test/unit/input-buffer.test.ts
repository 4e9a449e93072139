import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InputBuffer } from '../../src/util/input-buffer.js';

describe('input buffer', () => {
  it('holds appended chunks in order and drops consumed bytes', () => {
    const input = new InputBuffer(1 << 20);
    input.append(Buffer.from('hello '));
    input.append(Buffer.from('world'));
    assert.equal(input.view().toString(), 'hello world');
    input.consume(6);
    assert.equal(input.view().toString(), 'world');
    assert.equal(input.length, 5);
  });

  it('never writes over bytes handed out as a view, however it grows or is consumed', () => {
    const input = new InputBuffer(1 << 24);
    const handedOut: [Buffer, string][] = [];
    for (let i = 0; i < 2000; i++) {
      input.append(Buffer.from(`request-${i};`.repeat(1 + (i % 50))));
      const view = input.view();
      const cut = Math.floor(view.length / 2);
      handedOut.push([view.subarray(0, cut), view.toString('latin1', 0, cut)]);
      input.consume(cut);
    }
    for (const [view, text] of handedOut) assert.equal(view.toString('latin1'), text);
  });

  it('copies only what is appended while one large request accumulates (storage grows by doubling)', () => {
    const input = new InputBuffer(64 << 20);
    const chunk = Buffer.alloc(1024, 120);
    let storages = 0;
    let last: ArrayBufferLike | null = null;
    for (let i = 0; i < 16 * 1024; i++) {
      input.append(chunk);
      const storage = input.view().buffer;
      if (storage !== last) storages++;
      last = storage;
    }
    assert.equal(input.length, 16 << 20);
    assert.ok(storages <= 12, `moved ${storages} times for 16 MB in 1 KB chunks`);
  });

  it('keeps a chunk tail in place until the next chunk, then copies it out without touching the chunk', () => {
    const chunk = Buffer.from('complete;tail');
    const input = new InputBuffer(1 << 20);
    input.keep(chunk.subarray(9));
    assert.equal(input.view().buffer, chunk.buffer, 'not copied');
    input.append(Buffer.from('+more'));
    assert.equal(input.view().toString(), 'tail+more');
    assert.notEqual(input.view().buffer, chunk.buffer);
    assert.equal(chunk.toString(), 'complete;tail');
  });

  it('gives storage back once what it holds is consumed', () => {
    const input = new InputBuffer(64 << 20);
    input.append(Buffer.alloc(8 << 20));
    const large = input.view().buffer;
    input.consume((8 << 20) - 10);
    assert.equal(input.length, 10);
    assert.notEqual(input.view().buffer, large);
    assert.ok(input.view().buffer.byteLength < (1 << 20));
    input.consume(10);
    assert.equal(input.length, 0);
  });
});
