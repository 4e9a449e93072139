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

  it('resumes every reply cut anywhere where it stopped', () => {
    const scanner = new MemcacheReplyScanner();
    for (const reply of REPLIES) {
      const full = Buffer.from(reply);
      for (let cut = 1; cut < full.length; cut++) {
        assert.equal(scanner.scan(full.subarray(0, cut), 0), REPLY_INCOMPLETE, `${JSON.stringify(reply)} cut at ${cut}`);
        assert.ok(scanner.inProgress && scanner.resumeAt <= cut, `resumeAt ${scanner.resumeAt} at cut ${cut} of ${JSON.stringify(reply)}`);
        assert.equal(scanner.resume(full, scanner.resumeAt), full.length, `${JSON.stringify(reply)} resumed after cut ${cut}`);
        assert.equal(scanner.examined, full.length);
      }
    }
  });

  it('needs only the bytes from resumeAt on, fed one byte at a time (as when an oversized reply is dropped)', () => {
    const scanner = new MemcacheReplyScanner();
    for (const reply of REPLIES) {
      const full = Buffer.from(reply);
      let base = 0;
      let end = REPLY_INCOMPLETE;
      for (let upto = 1; upto <= full.length && end === REPLY_INCOMPLETE; upto++) {
        // Only the bytes not examined yet are held: the scanner must not need the ones before.
        const held = Buffer.from(full.subarray(base, upto));
        end = upto === 1 ? scanner.scan(held, 0) : scanner.resume(held, 0);
        if (end === REPLY_INCOMPLETE) base += scanner.resumeAt;
      }
      assert.equal(base + end, full.length, JSON.stringify(reply));
    }
  });

  it('skips a large value\'s data without looking at it again', () => {
    const scanner = new MemcacheReplyScanner();
    const line = 'VALUE k 0 1000000\r\n';
    assert.equal(scanner.scan(Buffer.from(`${line}abc`), 0), REPLY_INCOMPLETE);
    assert.equal(scanner.resumeAt, line.length + 3);
    const rest = Buffer.concat([Buffer.alloc(1000000 - 3, 0x61), Buffer.from('\r\nEND\r\n')]);
    assert.equal(scanner.resume(rest, 0), rest.length);
    assert.equal(scanner.examined, line.length + 1000000 + 2 + 5);
  });

  it('refuses what no memcached sends', () => {
    const scanner = new MemcacheReplyScanner();
    for (const bad of ['HELLO\r\n', '+OK\r\n', 'STORED\n', '\r\n', 'VALUE k x 1\r\na\r\nEND\r\n', 'VALUE k 0 1\r\nabEND\r\n',
      'VALUE k 0 1\r\na\r\nSTORED\r\n', `${'x'.repeat(3000)}`]) {
      assert.equal(scanner.scan(Buffer.from(bad), 0), REPLY_INVALID, JSON.stringify(bad).slice(0, 40));
    }
  });
});
