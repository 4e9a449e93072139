import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_BULK_LENGTH, ParsedRequest, ParseStatus } from '../../src/protocol/redis/request-parser.js';

function args(parsed: ParsedRequest, buf: Buffer): string[] {
  return Array.from({ length: parsed.argc }, (_, i) => buf.toString('latin1', parsed.argStart[i], parsed.argEnd[i]));
}

describe('RESP request parser', () => {
  it('parses a complete request into argument offsets without copying', () => {
    const buf = Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n');
    const parsed = new ParsedRequest();
    assert.equal(parsed.parse(buf, 0), ParseStatus.Complete);
    assert.deepEqual(args(parsed, buf), ['SET', 'k', 'value']);
    assert.equal(parsed.end, buf.length);
  });

  it('parses pipelined requests one after another from their start offsets', () => {
    const buf = Buffer.from('*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n');
    const parsed = new ParsedRequest();
    assert.equal(parsed.parse(buf, 0), ParseStatus.Complete);
    assert.deepEqual(args(parsed, buf), ['PING']);
    assert.equal(parsed.parse(buf, parsed.end), ParseStatus.Complete);
    assert.deepEqual(args(parsed, buf), ['GET', '']);
  });

  it('reports every proper prefix as incomplete, with how many bytes it needs at least', () => {
    const full = Buffer.from('*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n');
    const parsed = new ParsedRequest();
    for (let cut = 1; cut < full.length; cut++) {
      assert.equal(parsed.parse(full.subarray(0, cut), 0), ParseStatus.Incomplete, `cut at ${cut}`);
      assert.ok(parsed.need > cut && parsed.need <= full.length, `need ${parsed.need} at cut ${cut}`);
    }
  });

  it('asks for a whole announced bulk at once, so a large value is not re-scanned per chunk', () => {
    const parsed = new ParsedRequest();
    const head = Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\nabc');
    assert.equal(parsed.parse(head, 0), ParseStatus.Incomplete);
    assert.equal(parsed.need, head.length - 3 + 1000000 + 2);
  });

  it('grows its offset tables for requests with many arguments', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `key${i}`);
    const text = `*${keys.length + 1}\r\n$4\r\nMGET\r\n${keys.map((key) => `$${key.length}\r\n${key}\r\n`).join('')}`;
    const buf = Buffer.from(text);
    const parsed = new ParsedRequest();
    assert.equal(parsed.parse(buf, 0), ParseStatus.Complete);
    assert.deepEqual(args(parsed, buf), ['MGET', ...keys]);
  });

  it('resumes an incomplete request where it stopped, without reading its earlier bytes again', () => {
    const full = Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n');
    for (const cut of [20, 24, 26, 29]) { // just after "k\r\n", then at the start, inside and at the end of "value"
      const parsed = new ParsedRequest();
      assert.equal(parsed.parse(full.subarray(0, cut), 0), ParseStatus.Incomplete);
      // The bytes already examined are overwritten: a parser that starts over sees garbage.
      const rest = Buffer.concat([Buffer.alloc(cut, 0), full.subarray(cut)]);
      assert.equal(parsed.parse(rest, 0), ParseStatus.Complete, `cut at ${cut}`);
      assert.equal(parsed.argc, 3);
      assert.equal(parsed.end, full.length);
      assert.deepEqual(args(parsed, full), ['SET', 'k', 'value']);
    }
  });

  it('resumes a request fed one byte at a time, its bytes moving between buffers, to the same result', () => {
    const keys = Array.from({ length: 300 }, (_, i) => `key:${i}`);
    const full = Buffer.from(`*${keys.length + 1}\r\n$3\r\nDEL\r\n` + keys.map((key) => `$${key.length}\r\n${key}\r\n`).join(''));
    const parsed = new ParsedRequest();
    let status = ParseStatus.Incomplete;
    let buf = Buffer.alloc(0);
    for (let length = 1; length <= full.length && status === ParseStatus.Incomplete; length++) {
      const offset = length % 3; // the request starts at another offset in each new buffer
      buf = Buffer.concat([Buffer.alloc(offset, 42), full.subarray(0, length)]);
      status = parsed.parse(buf, offset);
    }
    assert.equal(status, ParseStatus.Complete);
    assert.equal(parsed.argc, keys.length + 1);
    const offset = full.length % 3;
    assert.deepEqual(args(parsed, buf), ['DEL', ...keys]);
    assert.equal(parsed.end, offset + full.length);
  });

  it('refuses a request larger than its bound as soon as the length is announced', () => {
    const parsed = new ParsedRequest(4096);
    assert.equal(parsed.parse(Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000\r\nab'), 0), ParseStatus.TooLarge);
    assert.ok(parsed.need > 4096);
    assert.equal(parsed.parse(Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4000\r\n${'a'.repeat(4000)}\r\n`), 0), ParseStatus.Complete);
    const many = new ParsedRequest(4096);
    assert.equal(many.parse(Buffer.from('*100000\r\n' + '$1\r\nk\r\n'.repeat(700)), 0), ParseStatus.TooLarge);
  });

  const invalid: [string, string, RegExp][] = [
    ['non-numeric count', '*x\r\n', /invalid multibulk length/],
    ['zero count', '*0\r\n', /invalid multibulk length/],
    ['negative count', '*-1\r\n', /invalid multibulk length/],
    ['count over a million', '*1048577\r\n', /invalid multibulk length/],
    ['bulk without array', '$3\r\nGET\r\n', /expected '\*'/],
    ['inline command', 'PING\r\n', /inline commands are not supported/],
    ['empty line', '\r\n', /empty line/],
    ['negative bulk length', '*2\r\n$3\r\nGET\r\n$-5\r\n', /invalid bulk length/],
    ['oversized bulk', `*2\r\n$3\r\nSET\r\n$${MAX_BULK_LENGTH + 1}\r\n`, /invalid bulk length/],
    ['leading zero length', '*1\r\n$04\r\nPING\r\n', /invalid bulk length/],
    ['minus zero length, which Redis refuses', '*2\r\n$3\r\nGET\r\n$-0\r\n\r\n', /invalid bulk length/],
    ['minus zero count', '*-0\r\n', /invalid multibulk length/],
    ['plus sign in a length', '*2\r\n$3\r\nGET\r\n$+1\r\nk\r\n', /invalid bulk length/],
    ['length beyond 64 bits', `*2\r\n$3\r\nGET\r\n$${'9'.repeat(20)}\r\n`, /invalid bulk length/],
    ['length mismatch', '*2\r\n$3\r\nGET\r\n$3\r\nfooXX\r\n', /does not match/],
    ['argument not a bulk', '*2\r\n$3\r\nGET\r\n:1\r\n', /expected '\$'/],
    ['line break where a bulk belongs, quoted escaped', '*2\r\n$3\r\nGET\r\n\n', /expected '\$', got '\\n'$/],
    ['control byte where the array belongs, quoted escaped', '\x1b[2J', /expected '\*', got '\\x1b'/],
    ['garbage count line without CRLF', `*${'9'.repeat(40)}`, /invalid multibulk length/],
  ];
  for (const [name, text, message] of invalid) {
    it(`refuses ${name} with a protocol error`, () => {
      const parsed = new ParsedRequest();
      assert.equal(parsed.parse(Buffer.from(text, 'latin1'), 0), ParseStatus.Invalid);
      assert.match(parsed.error, /^Protocol error: /);
      assert.match(parsed.error, message);
    });
  }
});
