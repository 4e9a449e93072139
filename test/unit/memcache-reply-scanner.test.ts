import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REPLY_INCOMPLETE, REPLY_INVALID } from '../../src/protocol/codec.js';
import { MemcacheReplyScanner } from '../../src/protocol/memcache/reply-scanner.js';

const REPLIES = [
  'STORED\r\n', 'NOT_STORED\r\n', 'EXISTS\r\n', 'NOT_FOUND\r\n', 'DELETED\r\n', 'TOUCHED\r\n', 'END\r\n', '12345\r\n', 'ERROR\r\n',
  'VERSION 1.6.18\r\n', 'CLIENT_ERROR bad data chunk\r\n', 'SERVER_ERROR out of memory\r\n',
  'VALUE k 0 1\r\nx\r\nEND\r\n', 'VALUE k 5 4 77\r\na\r\nb\r\nVALUE k2 0 0\r\n\r\nEND\r\n',
];

describe('memcached reply scanner', () => {
  it('finds the end of each reply in a stream, a get reply with its values up to END', () => {
    const buf = Buffer.from(REPLIES.join(''));
    const scanner = new MemcacheReplyScanner();
    let pos = 0;
    for (const reply of REPLIES) {
      const end = scanner.scan(buf, pos);
      assert.equal(buf.toString('latin1', pos, end), reply);
      pos = end;
    }
    assert.equal(pos, buf.length);
  });

  it('reports every proper prefix as incomplete, needing more than it has', () => {
    const scanner = new MemcacheReplyScanner();
    for (const reply of REPLIES) {
      const full = Buffer.from(reply);
      for (let cut = 1; cut < full.length; cut++) {
        assert.equal(scanner.scan(full.subarray(0, cut), 0), REPLY_INCOMPLETE, `${JSON.stringify(reply)} cut at ${cut}`);
        assert.ok(scanner.need > cut && scanner.need <= full.length, `need ${scanner.need} at cut ${cut} of ${JSON.stringify(reply)}`);
      }
    }
  });

  it('asks for a large value\'s whole data block at once', () => {
    const scanner = new MemcacheReplyScanner();
    assert.equal(scanner.scan(Buffer.from('VALUE k 0 1000000\r\nabc'), 0), REPLY_INCOMPLETE);
    assert.equal(scanner.need, 'VALUE k 0 1000000\r\n'.length + 1000000 + 2);
  });

  it('refuses what no memcached sends', () => {
    const scanner = new MemcacheReplyScanner();
    for (const bad of ['HELLO\r\n', '+OK\r\n', 'STORED\n', '\r\n', 'VALUE k x 1\r\na\r\nEND\r\n', 'VALUE k 0 1\r\nabEND\r\n',
      'VALUE k 0 1\r\na\r\nSTORED\r\n', `${'x'.repeat(3000)}`]) {
      assert.equal(scanner.scan(Buffer.from(bad), 0), REPLY_INVALID, JSON.stringify(bad).slice(0, 40));
    }
  });
});
