// The fuzz harness's own parts: seeded inputs are a function of the seed, and the strict RESP
// reader (the oracle) tells valid replies and requests from damaged ones.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mutateMessages, splitForWrites } from '../fuzz/engine.js';
import { Prng } from '../fuzz/prng.js';
import { INCOMPLETE, INVALID } from '../fuzz/protocol.js';
import { RESP } from '../fuzz/resp.js';

const inputsOf = (seed: number) => Array.from({ length: 50 }, (_, i) => mutateMessages(RESP.requestCorpus, RESP.requestMutators, new Prng(seed, i)));

describe('fuzz engine', () => {
  test('the same seed and case give the same input; another seed gives others', () => {
    const first = inputsOf(42);
    assert.deepEqual(inputsOf(42), first);
    const other = inputsOf(43);
    assert.ok(other.filter((input, i) => input.bytes.equals(first[i]!.bytes)).length < 10);
  });

  test('prng ranges stay in bounds', () => {
    const rng = new Prng(1);
    for (let i = 0; i < 1000; i++) {
      const value = rng.between(3, 5);
      assert.ok(value >= 3 && value <= 5);
      assert.ok(rng.int(7) < 7);
    }
  });

  test('split writes put the bytes back together', () => {
    const rng = new Prng(5);
    const bytes = Buffer.from('*1\r\n$4\r\nPING\r\n');
    for (let i = 0; i < 100; i++) assert.deepEqual(Buffer.concat(splitForWrites(bytes, rng)), bytes);
  });
});

describe('strict RESP reader', () => {
  const replyEnd = (text: string): number => RESP.replyReader().end(Buffer.from(text, 'latin1'), 0);
  const requestEnd = (text: string): number => RESP.requestReader().end(Buffer.from(text, 'latin1'), 0);

  test('valid replies end where they end', () => {
    for (const reply of ['+OK\r\n', '-ERR x\r\n', ':-12\r\n', '$0\r\n\r\n', '$-1\r\n', '*-1\r\n', '*2\r\n$1\r\na\r\n*1\r\n:0\r\n', '_\r\n', '#t\r\n', '%1\r\n+a\r\n:1\r\n']) {
      assert.equal(replyEnd(`${reply}+NEXT\r\n`), reply.length, JSON.stringify(reply));
    }
  });

  test('damaged replies are invalid, cut ones incomplete', () => {
    for (const reply of ['$-0\r\n\r\n', '$3\r\nabcXY', ':01\r\n', ':1a\r\n', '+O\rK\r\n', '+OK\n', '$-2\r\n', '?\r\n', '*1\r\n?\r\n', ':\x00\r\n']) {
      assert.equal(replyEnd(reply), INVALID, JSON.stringify(reply));
    }
    for (const reply of ['$3\r\nab', '*2\r\n:1\r\n', '+OK', '+OK\r', '$10\r\n']) assert.equal(replyEnd(reply), INCOMPLETE, JSON.stringify(reply));
  });

  test('requests: arrays of bulk strings only', () => {
    assert.equal(requestEnd('*1\r\n$4\r\nPING\r\n'), 14);
    for (const request of ['*0\r\n', '*1\r\n:1\r\n', '*1\r\n$-0\r\n\r\n', '*1\r\n$-1\r\n', 'PING\r\n', '*1\r\n$4\r\nPINGXX']) {
      assert.equal(requestEnd(request), INVALID, JSON.stringify(request));
    }
    assert.equal(requestEnd('*2\r\n$3\r\nGET\r\n'), INCOMPLETE);
  });
});
