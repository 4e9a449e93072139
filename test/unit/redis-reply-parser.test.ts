import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REPLY_INCOMPLETE, REPLY_INVALID, ReplyScanner } from '../../src/protocol/redis/reply-parser.js';

const REPLIES = [
  '+OK\r\n',
  '-ERR wrong number of arguments\r\n',
  ':42\r\n',
  ':-7\r\n',
  '$5\r\nhello\r\n',
  '$0\r\n\r\n',
  '$-1\r\n',
  '*-1\r\n',
  '*0\r\n',
  '*3\r\n$1\r\na\r\n$-1\r\n:3\r\n',
  '*2\r\n*2\r\n+a\r\n*1\r\n:1\r\n$3\r\nxyz\r\n',
  '$6\r\na\r\nb\r\n\r\n',
  '%1\r\n+key\r\n:1\r\n',
  '_\r\n',
];

describe('RESP reply scanner', () => {
  const scanner = new ReplyScanner();

  for (const reply of REPLIES) {
    it(`finds the end of ${JSON.stringify(reply)} and reports each prefix incomplete`, () => {
      const buf = Buffer.from(reply);
      assert.equal(scanner.scan(buf, 0), buf.length);
      for (let cut = 0; cut < buf.length; cut++) {
        assert.equal(scanner.scan(buf.subarray(0, cut), 0), REPLY_INCOMPLETE, `cut at ${cut}`);
        assert.ok(scanner.resumeAt <= cut);
        // The examined bytes are overwritten: resuming must not read them again.
        const rest = Buffer.concat([Buffer.alloc(scanner.resumeAt, 0), buf.subarray(scanner.resumeAt)]);
        assert.equal(scanner.resume(rest, scanner.resumeAt), buf.length, `resumed after a cut at ${cut}`);
        assert.equal(scanner.examined, buf.length);
      }
    });

    it(`finds the end of ${JSON.stringify(reply)} fed one byte at a time, keeping only the bytes not examined`, () => {
      const buf = Buffer.from(reply);
      let kept = Buffer.alloc(0);
      let end = REPLY_INCOMPLETE;
      for (let i = 0; i < buf.length && end === REPLY_INCOMPLETE; i++) {
        const input = Buffer.concat([kept, buf.subarray(i, i + 1)]);
        end = i === 0 ? scanner.scan(input, 0) : scanner.resume(input, 0);
        if (end === REPLY_INCOMPLETE) kept = input.subarray(scanner.resumeAt);
      }
      assert.equal(end, kept.length + 1);
      assert.equal(scanner.examined, buf.length);
    });
  }

  it('finds consecutive replies in one buffer', () => {
    const buf = Buffer.from(REPLIES.join(''));
    let pos = 0;
    for (const reply of REPLIES) {
      const end = scanner.scan(buf, pos);
      assert.equal(buf.toString('latin1', pos, end), reply);
      pos = end;
    }
  });

  it('resumes inside a bulk value without keeping its bytes, and in an array after its elements', () => {
    assert.equal(scanner.scan(Buffer.from('$100000\r\nab'), 0), REPLY_INCOMPLETE);
    assert.equal(scanner.resumeAt, 11);
    assert.equal(scanner.resume(Buffer.alloc(99990), 0), REPLY_INCOMPLETE);
    assert.equal(scanner.resume(Buffer.from('12345678\r\n+OK\r\n'), 0), 10);
    assert.equal(scanner.examined, 9 + 100000 + 2);
    const elements = '$1\r\nx\r\n'.repeat(1000);
    assert.equal(scanner.scan(Buffer.from(`*2000\r\n${elements}`), 0), REPLY_INCOMPLETE);
    assert.equal(scanner.resume(Buffer.from(elements), 0), elements.length);
  });

  it('refuses bytes that are no reply', () => {
    assert.equal(scanner.scan(Buffer.from('hello\r\n'), 0), REPLY_INVALID);
    assert.equal(scanner.scan(Buffer.from('$abc\r\n'), 0), REPLY_INVALID);
    assert.equal(scanner.scan(Buffer.from('*-5\r\n'), 0), REPLY_INVALID);
  });

  it('refuses what is not strictly RESP, so a damaged reply never passes as the next one', () => {
    for (const bad of ['+A\rX:1\r\n', '+A\nB\r\n', '-ERR x\r:1\r\n', '$1\r\nxY:2\r\n', '$-0\r\n:3\r\n', '*-0\r\n',
      ':\x003\r\n', ':12a\r\n', ':\r\n', '_x\r\n', '#x\r\n', '#t\n\r\n', '*2\r\n$1\r\na\n\n:1\r\n']) {
      assert.equal(scanner.scan(Buffer.from(bad, 'latin1'), 0), REPLY_INVALID, JSON.stringify(bad));
    }
  });

  it('checks the CRLF after a bulk string that arrives in pieces, also when its first bytes are gone', () => {
    assert.equal(scanner.scan(Buffer.from('$3\r\nab'), 0), REPLY_INCOMPLETE);
    assert.equal(scanner.resume(Buffer.from('cXY'), 0), REPLY_INVALID);
    assert.equal(scanner.scan(Buffer.from('$3\r\nabc\r'), 0), REPLY_INCOMPLETE);
    assert.equal(scanner.resume(Buffer.from('X'), 0), REPLY_INVALID);
    assert.equal(scanner.scan(Buffer.from('$3\r\nabc\r'), 0), REPLY_INCOMPLETE);
    assert.equal(scanner.resume(Buffer.from('\n'), 0), 1);
  });

  it('refuses a CR or LF inside a simple line that arrives in pieces', () => {
    assert.equal(scanner.scan(Buffer.from('+partial'), 0), REPLY_INCOMPLETE);
    assert.equal(scanner.resume(Buffer.from('+partial\nrest\r\n'), scanner.resumeAt), REPLY_INVALID);
    assert.equal(scanner.scan(Buffer.from('+partial\r'), 0), REPLY_INCOMPLETE);
    assert.equal(scanner.resume(Buffer.from('+partial\rX\r\n'), scanner.resumeAt), REPLY_INVALID);
    assert.equal(scanner.scan(Buffer.from('+partial\r'), 0), REPLY_INCOMPLETE);
    assert.equal(scanner.resume(Buffer.from('+partial\r\n'), scanner.resumeAt), 10);
  });
});
