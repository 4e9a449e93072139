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
