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
        assert.ok(scanner.need > cut, `need more than ${cut}`);
      }
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

  it('asks for a whole bulk value at once', () => {
    assert.equal(scanner.scan(Buffer.from('$100000\r\nab'), 0), REPLY_INCOMPLETE);
    assert.equal(scanner.need, 9 + 100000 + 2);
  });

  it('refuses bytes that are no reply', () => {
    assert.equal(scanner.scan(Buffer.from('hello\r\n'), 0), REPLY_INVALID);
    assert.equal(scanner.scan(Buffer.from('$abc\r\n'), 0), REPLY_INVALID);
    assert.equal(scanner.scan(Buffer.from('*-5\r\n'), 0), REPLY_INVALID);
  });
});
