import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InlineParser, InlineStatus, MAX_INLINE_LENGTH, splitArgs } from '../../src/protocol/redis/inline-parser.js';

function split(line: string): string[] | null {
  const buf = Buffer.from(line, 'latin1');
  return splitArgs(buf, 0, buf.length)?.map((arg) => arg.toString('latin1')) ?? null;
}

describe('inline command parser', () => {
  it('splits on white space as Redis does', () => {
    assert.deepEqual(split('SET  key\tvalue '), ['SET', 'key', 'value']);
    assert.deepEqual(split(''), []);
    assert.deepEqual(split('   '), []);
  });

  it('honours double quotes with escapes and single quotes', () => {
    assert.deepEqual(split('SET k "hello world"'), ['SET', 'k', 'hello world']);
    assert.deepEqual(split('SET k "a\\n\\r\\t\\"\\\\b"'), ['SET', 'k', 'a\n\r\t"\\b']);
    assert.deepEqual(split('SET k "\\x41\\x7a\\xff"'), ['SET', 'k', 'Az\xff']);
    assert.deepEqual(split("SET k 'it\\'s \"raw\" \\n'"), ['SET', 'k', 'it\'s "raw" \\n']);
    assert.deepEqual(split('SET k ""'), ['SET', 'k', '']);
    assert.deepEqual(split('SET k ab"c d"'), ['SET', 'k', 'abc d']);
  });

  it('refuses unbalanced quotes and a closing quote not followed by a space', () => {
    assert.equal(split('SET k "open'), null);
    assert.equal(split("SET k 'open"), null);
    assert.equal(split('SET k "a"b'), null);
    assert.equal(split('SET k "trailing\\'), null);
  });

  it('turns a line into the RESP array it stands for, ending at LF or CRLF', () => {
    const parser = new InlineParser();
    const buf = Buffer.from('PING\r\nGET "a b"\nrest');
    assert.equal(parser.parse(buf, 0), InlineStatus.Complete);
    assert.equal(parser.request.toString(), '*1\r\n$4\r\nPING\r\n');
    assert.equal(parser.end, 6);
    assert.equal(parser.parse(buf, parser.end), InlineStatus.Complete);
    assert.equal(parser.request.toString(), '*2\r\n$3\r\nGET\r\n$3\r\na b\r\n');
    assert.equal(parser.end, buf.length - 4);
  });

  it('skips empty lines, and waits for the rest of a line', () => {
    const parser = new InlineParser();
    assert.equal(parser.parse(Buffer.from('\r\n'), 0), InlineStatus.Empty);
    assert.equal(parser.end, 2);
    assert.equal(parser.parse(Buffer.from('\n'), 0), InlineStatus.Empty);
    assert.equal(parser.parse(Buffer.from('xxPING'), 2), InlineStatus.Incomplete);
    assert.equal(parser.need, 5);
  });

  it('refuses a line longer than 64 KB without a newline, with Redis protocol errors', () => {
    const parser = new InlineParser();
    assert.equal(parser.parse(Buffer.alloc(MAX_INLINE_LENGTH + 1, 'a'), 0), InlineStatus.Invalid);
    assert.equal(parser.error, 'Protocol error: too big inline request');
    assert.equal(parser.parse(Buffer.from('SET k "v\r\n'), 0), InlineStatus.Invalid);
    assert.equal(parser.error, 'Protocol error: unbalanced quotes in request');
  });
});
