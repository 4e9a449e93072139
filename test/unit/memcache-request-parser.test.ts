import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Command, MAX_LINE_LENGTH, MAX_VALUE_LENGTH, ParsedRequest, ParseStatus,
} from '../../src/protocol/memcache/request-parser.js';

function keys(parsed: ParsedRequest, buf: Buffer): string[] {
  return Array.from({ length: parsed.keyCount }, (_, i) => buf.toString('latin1', parsed.keyStart(i), parsed.keyEnd(i)));
}

function parse(text: string | Buffer): { parsed: ParsedRequest; status: ParseStatus; buf: Buffer } {
  const buf = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  const parsed = new ParsedRequest();
  return { parsed, status: parsed.parse(buf, 0), buf };
}

function refused(text: string): { error: string; fatal: boolean; end: number } {
  const { parsed, status } = parse(text);
  assert.equal(status, ParseStatus.Invalid, JSON.stringify(text));
  return { error: parsed.error, fatal: parsed.fatal, end: parsed.end };
}

describe('memcached request parser', () => {
  it('finds every key of a get and gets, in order, and the request end', () => {
    const { parsed, status, buf } = parse('get a bb  ccc\r\ngets x\r\n');
    assert.equal(status, ParseStatus.Complete);
    assert.equal(parsed.command, Command.Get);
    assert.deepEqual(keys(parsed, buf), ['a', 'bb', 'ccc']);
    assert.equal(parsed.end, 15);
    assert.equal(parsed.parse(buf, parsed.end), ParseStatus.Complete);
    assert.equal(parsed.command, Command.Gets);
    assert.deepEqual(keys(parsed, buf), ['x']);
  });

  it('parses each storage command with its data block, which may hold CRLF, and noreply', () => {
    for (const [line, command, noreply] of [
      ['set k 1 0 4', Command.Set, false], ['add k 1 0 4 noreply', Command.Add, true], ['replace k 0 -1 4', Command.Replace, false],
      ['append k 0 0 4', Command.Append, false], ['prepend k 0 0 4 noreply', Command.Prepend, true],
      ['cas k 0 0 4 99', Command.Cas, false], ['cas k 0 0 4 99 noreply', Command.Cas, true],
    ] as const) {
      const { parsed, status, buf } = parse(`${line}\r\na\r\nb\r\n`);
      assert.equal(status, ParseStatus.Complete, line);
      assert.equal(parsed.command, command, line);
      assert.equal(parsed.noreply, noreply, line);
      assert.deepEqual(keys(parsed, buf), ['k']);
      assert.equal(parsed.end, buf.length, line);
    }
  });

  it('parses incr, decr, delete, touch with and without noreply, and quit and version', () => {
    for (const [line, command, noreply] of [
      ['incr k 5', Command.Incr, false], ['decr k 18446744073709551615 noreply', Command.Decr, true],
      ['delete k', Command.Delete, false], ['delete k noreply', Command.Delete, true], ['delete k 0', Command.Delete, false],
      ['delete k 0 noreply', Command.Delete, true], ['touch k 10', Command.Touch, false], ['touch k -1 noreply', Command.Touch, true],
    ] as const) {
      const { parsed, status, buf } = parse(`${line}\r\n`);
      assert.equal(status, ParseStatus.Complete, line);
      assert.equal(parsed.command, command, line);
      assert.equal(parsed.noreply, noreply, line);
      assert.deepEqual(keys(parsed, buf), ['k'], line);
    }
    assert.equal(parse('quit\r\n').parsed.command, Command.Quit);
    assert.equal(parse('version\r\n').parsed.keyCount, 0);
  });

  it('accepts a line ended by LF alone, as memcached does', () => {
    const { parsed, status, buf } = parse('get a b\nset k 0 0 1\nx\r\n');
    assert.equal(status, ParseStatus.Complete);
    assert.deepEqual(keys(parsed, buf), ['a', 'b']);
    assert.equal(parsed.parse(buf, parsed.end), ParseStatus.Complete);
    assert.equal(parsed.end, buf.length);
  });

  it('reports every proper prefix as incomplete, needing at least one more byte', () => {
    const full = Buffer.from('set key 0 0 10\r\n0123456789\r\n');
    const parsed = new ParsedRequest();
    for (let cut = 1; cut < full.length; cut++) {
      assert.equal(parsed.parse(full.subarray(0, cut), 0), ParseStatus.Incomplete, `cut at ${cut}`);
      assert.ok(parsed.need > cut && parsed.need <= full.length, `need ${parsed.need} at cut ${cut}`);
    }
    assert.equal(parsed.parse(full, 0), ParseStatus.Complete);
  });

  it('searches a long get line trickled in for its end only once, then parses it whole', () => {
    const line = Buffer.from(`get ${Array.from({ length: 5000 }, (_, i) => `key${i}`).join(' ')}\r\n`, 'latin1');
    const parsed = new ParsedRequest();
    let status = ParseStatus.Incomplete;
    for (let upto = 1; upto <= line.length && status === ParseStatus.Incomplete; upto += 97) {
      const held = Buffer.from(line.subarray(0, Math.min(upto, line.length - 2)));
      status = parsed.parse(held, 0);
    }
    assert.equal(status, ParseStatus.Incomplete);
    // An LF where the parser already searched would end the line early if it searched again.
    const whole = Buffer.from(line);
    whole[5] = 10;
    assert.equal(parsed.parse(whole, 0), ParseStatus.Complete);
    assert.equal(parsed.end, line.length);
  });

  it('refuses lines it can skip with memcached\'s error, the connection staying usable', () => {
    assert.deepEqual(refused('\r\n'), { error: 'ERROR', fatal: false, end: 2 });
    assert.deepEqual(refused('get\r\n'), { error: 'ERROR', fatal: false, end: 5 });
    assert.equal(refused('GET a\r\n').error.startsWith("CLIENT_ERROR unknown or unsupported command 'GET'"), true);
    // Client text is escaped as in the Redis pools' errors and logs.
    assert.equal(refused('st\tats\r\r\n').error.startsWith("CLIENT_ERROR unknown or unsupported command 'st\\tats\\r'"), true);
    assert.match(refused('stats\r\n').error, /^CLIENT_ERROR unknown or unsupported command 'stats': nutcracker routes only get, /);
    assert.deepEqual(refused(`get ${'k'.repeat(251)}\r\n`), { error: 'CLIENT_ERROR bad command line format', fatal: false, end: 257 });
    assert.equal(parse(`get ${'k'.repeat(250)}\r\n`).status, ParseStatus.Complete);
    assert.equal(refused('incr k x\r\n').error, 'CLIENT_ERROR invalid numeric delta argument');
    assert.equal(refused('incr k -1\r\n').error, 'CLIENT_ERROR invalid numeric delta argument');
    assert.equal(refused('incr k\r\n').error, 'ERROR');
    assert.equal(refused('touch k soon\r\n').error, 'CLIENT_ERROR invalid exptime argument');
    assert.equal(refused('delete k 5\r\n').error, 'CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]');
    assert.equal(refused('quit now\r\n').error, 'ERROR');
  });

  it('refuses a storage command it cannot frame, and closes: the data block end is unknown', () => {
    for (const [line, error] of [
      ['set k 0 0\r\n', 'ERROR'], ['set k 0 0 -1\r\n', 'CLIENT_ERROR bad command line format'],
      ['set k 0 0 x\r\nabc\r\n', 'CLIENT_ERROR bad command line format'], ['set k x 0 1\r\na\r\n', 'CLIENT_ERROR bad command line format'],
      ['cas k 0 0 1\r\na\r\n', 'ERROR'],
      ['set k 0 0 1 noreply extra\r\na\r\n', 'ERROR'], [`set ${'k'.repeat(251)} 0 0 1\r\na\r\n`, 'CLIENT_ERROR bad command line format'],
      ['set k 0 0 3\r\nabcde\r\n', 'CLIENT_ERROR bad data chunk'], ['set k 0 0 1\r\nxy', 'CLIENT_ERROR bad data chunk'],
    ]) {
      assert.deepEqual({ ...refused(line!), end: 0 }, { error, fatal: true, end: 0 }, line);
    }
    assert.match(refused(`set k 0 0 ${MAX_VALUE_LENGTH + 1}\r\n`).error, /^CLIENT_ERROR value of \d+ bytes is over/);
  });

  it('refuses a line over 2,048 bytes without its end, except a get or gets of many keys', () => {
    assert.deepEqual({ ...refused(`set ${'k'.repeat(MAX_LINE_LENGTH)}`), end: 0 }, { error: 'CLIENT_ERROR line too long', fatal: true, end: 0 });
    assert.equal(refused(`x`.repeat(MAX_LINE_LENGTH + 1)).fatal, true);
    assert.equal(parse(`get ${'k '.repeat(MAX_LINE_LENGTH)}`).status, ParseStatus.Incomplete);
    assert.equal(parse(`  gets ${'k '.repeat(MAX_LINE_LENGTH)}`).status, ParseStatus.Incomplete);
    const many = Array.from({ length: 2000 }, (_, i) => `key:${i}`);
    const { parsed, status, buf } = parse(`get ${many.join(' ')}\r\n`);
    assert.equal(status, ParseStatus.Complete);
    assert.deepEqual(keys(parsed, buf), many);
  });
});
