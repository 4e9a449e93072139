// The memcached ASCII protocol for the fuzzer: independent strict readers of replies and requests
// (written from memcached's protocol.txt, not from the proxy's parsers), the corpus of valid
// requests, memcached-aware mutators, honest workloads with their expected replies, and the fake
// server's answers.
import { breakTerminator, type Mutator } from './mutators.js';
import type { Prng } from './prng.js';
import { INCOMPLETE, INVALID, lineEnd, type Expected, type FuzzProtocol, type StrictReader, type Workload } from './protocol.js';

const CR = 13;
const LF = 10;
/** Longer reply lines are refused: memcached's longest is a VALUE line with a 250-byte key. */
const MAX_REPLY_LINE = 4096;
/** The proxy forwards get/gets lines of up to 1 MiB. */
const MAX_REQUEST_LINE = 1024 * 1024 + 2;

// Numbers are digits (memcached's own parsers take leading zeros, and framing does not change).
const VALUE_LINE = /^VALUE [^ ]{1,250} \d{1,20} (\d{1,10})( \d{1,20})?$/;
const ONE_LINE = /^(?:STORED|NOT_STORED|EXISTS|NOT_FOUND|DELETED|TOUCHED|END|ERROR|\d{1,20}|VERSION [!-~][ -~]*|(?:CLIENT|SERVER)_ERROR .+)$/s;

/**
 * Replies: any number of VALUE blocks then END (a retrieval), or one known line. The reader does
 * not know the request, so a numeric CAS unique in a get's reply passes here.
 */
class MemcacheReplyReader implements StrictReader {
  need = 0;

  end(buf: Buffer, start: number): number {
    let pos = start;
    let afterValue = false;
    for (;;) {
      const next = lineEnd(buf, pos);
      if (next === INVALID || next - pos > MAX_REPLY_LINE) return INVALID;
      if (next === INCOMPLETE) return buf.length - pos > MAX_REPLY_LINE ? INVALID : this.incomplete(buf.length - start + 1);
      const line = buf.toString('latin1', pos, next - 2);
      const value = VALUE_LINE.exec(line);
      if (value === null) return (afterValue ? line === 'END' : ONE_LINE.test(line)) ? next : INVALID;
      const dataEnd = next + Number(value[1]);
      if (dataEnd + 2 > buf.length) return this.incomplete(dataEnd + 2 - start);
      if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) return INVALID;
      pos = dataEnd + 2;
      afterValue = true;
    }
  }

  private incomplete(need: number): number {
    this.need = need;
    return INCOMPLETE;
  }
}

const STORAGE = new Set(['set', 'add', 'replace', 'append', 'prepend', 'cas']);
const KEY = /^[^ ]{1,250}$/;
const UNSIGNED = /^\d{1,20}$/;
const EXPTIME = /^-?\d{1,10}$/;

/** Whether the tokens of a request line (the data block aside) are a request memcached takes. */
function validLine(tokens: string[]): boolean {
  const [name, key, ...rest] = tokens;
  const noreply = rest[rest.length - 1] === 'noreply' ? 1 : 0;
  const args = rest.length - noreply;
  if (name === 'get' || name === 'gets') return tokens.length >= 2 && tokens.slice(1).every((k) => KEY.test(k));
  if (name === 'version') return tokens.length === 1;
  if (key === undefined || !KEY.test(key)) return false;
  if (STORAGE.has(name!)) {
    const fields = rest.slice(0, args);
    return fields.length === (name === 'cas' ? 4 : 3) && UNSIGNED.test(fields[0]!) && EXPTIME.test(fields[1]!) &&
      fields.slice(2).every((field) => UNSIGNED.test(field));
  }
  if (name === 'incr' || name === 'decr') return args === 1 && UNSIGNED.test(rest[0]!);
  if (name === 'touch') return args === 1 && EXPTIME.test(rest[0]!);
  if (name === 'delete') return args === 0 || (args === 1 && rest[0] === '0');
  return false;
}

/** Requests as memcached takes them, with exact CRLFs and single spaces, as honest clients send them. */
class MemcacheRequestReader implements StrictReader {
  need = 0;

  end(buf: Buffer, start: number): number {
    const next = lineEnd(buf, start);
    if (next === INVALID) return INVALID;
    if (next === INCOMPLETE) return buf.length - start > MAX_REQUEST_LINE ? INVALID : this.incomplete(buf.length - start + 1);
    const tokens = buf.toString('latin1', start, next - 2).split(' ');
    if (!validLine(tokens)) return INVALID;
    if (!STORAGE.has(tokens[0]!)) return next;
    const dataEnd = next + Number(tokens[4]);
    if (dataEnd + 2 > buf.length) return this.incomplete(dataEnd + 2 - start);
    return buf[dataEnd] === CR && buf[dataEnd + 1] === LF ? dataEnd + 2 : INVALID;
  }

  private incomplete(need: number): number {
    this.need = need;
    return INCOMPLETE;
  }
}

// ---- requests and replies, as memcached clients and servers write them

const storage = (command: string, key: string, data: Buffer | string, more: { flags?: number; cas?: string; noreply?: boolean } = {}): Buffer => {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const line = [command, key, String(more.flags ?? 0), '0', String(bytes.length), ...(more.cas !== undefined ? [more.cas] : []),
    ...(more.noreply === true ? ['noreply'] : [])].join(' ');
  return Buffer.concat([Buffer.from(`${line}\r\n`, 'latin1'), bytes, Buffer.from('\r\n')]);
};
const line = (...tokens: string[]): Buffer => Buffer.from(`${tokens.join(' ')}\r\n`, 'latin1');

const valueBlock = (key: string, data: Buffer, flags = 0, cas?: string): Buffer =>
  Buffer.concat([Buffer.from(`VALUE ${key} ${flags} ${data.length}${cas !== undefined ? ` ${cas}` : ''}\r\n`, 'latin1'), data, Buffer.from('\r\n')]);
const END = Buffer.from('END\r\n');
const retrieval = (blocks: Buffer[]): Buffer => Buffer.concat([...blocks, END]);
const word = (text: string): Buffer => Buffer.from(`${text}\r\n`);
const STORED = word('STORED');

// ---- the corpus: valid requests over keys that honest clients never use

/** Every byte value: a CRLF, and "\r\nEND\r\n" inside a value, must pass as data. */
const BINARY = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\r\nEND\r\nVALUE f:a 0 1\r\n')]);
const LONGEST_KEY = `f:${'k'.repeat(248)}`;
/** Just under memcached's 1 MB item size, and just over it (SERVER_ERROR object too large for cache). */
const NEAR_ITEM_LIMIT = 1000 * 1000;
const OVER_ITEM_LIMIT = 1024 * 1024 + 1;

function withAndWithoutNoreply(command: string, key: string, data: string, cas?: string): Buffer[] {
  return [storage(command, key, data, { cas }), storage(command, key, data, { cas, noreply: true })];
}

export const MEMCACHE_REQUEST_CORPUS: readonly Buffer[] = [
  ...withAndWithoutNoreply('set', 'f:a', 'hello'), ...withAndWithoutNoreply('add', 'f:b', 'abc'),
  ...withAndWithoutNoreply('replace', 'f:a', 'x'), ...withAndWithoutNoreply('append', 'f:a', 'xyz'),
  ...withAndWithoutNoreply('prepend', 'f:a', 'pre'), ...withAndWithoutNoreply('cas', 'f:a', 'z', '12345'),
  storage('set', 'f:flags', 'v', { flags: 4294967295 }), storage('set', 'f:e', ''), storage('set', 'f:bin', BINARY),
  storage('set', LONGEST_KEY, 'longest key'), storage('set', 'f:near', Buffer.alloc(NEAR_ITEM_LIMIT, 'n')),
  storage('set', 'f:over', Buffer.alloc(OVER_ITEM_LIMIT, 'o')),
  line('get', 'f:a'), line('get', 'f:a', 'f:b', 'f:c', 'f:d', 'f:a'), line('gets', 'f:a'), line('gets', 'f:a', 'f:bin', 'f:e'),
  line('get', LONGEST_KEY), line('get', ...Array.from({ length: 300 }, (_, i) => `f:m${i}`)),
  line('incr', 'f:n', '5'), line('incr', 'f:n', '5', 'noreply'), line('decr', 'f:n', '2'), line('decr', 'f:n', '2', 'noreply'),
  line('incr', 'f:n', '18446744073709551615'), line('delete', 'f:a'), line('delete', 'f:a', 'noreply'), line('delete', 'f:a', '0'),
  line('delete', 'f:a', '0', 'noreply'), line('touch', 'f:a', '100'), line('touch', 'f:a', '-1', 'noreply'),
  line('version'), line('quit'),
];

// ---- memcached-aware mutators

/** The command lines of `input` (a line that starts with a lower-case word): where each starts and ends (before its CRLF). */
function commandLines(input: Buffer): { start: number; end: number }[] {
  const found: { start: number; end: number }[] = [];
  const pattern = /(?:^|\n)([a-z]+(?: [^\r\n]*)?)\r\n/g;
  const text = input.toString('latin1');
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const start = match.index + match[0].length - 2 - match[1]!.length;
    found.push({ start, end: start + match[1]!.length });
    pattern.lastIndex = start + match[1]!.length;
  }
  return found;
}

/** Replaces a command line by `rewrite(tokens)` (null: no change). */
function rewriteLine(input: Buffer, rng: Prng, rewrite: (tokens: string[]) => string[] | null): Buffer {
  const lines = commandLines(input);
  if (lines.length === 0) return input;
  const { start, end } = rng.pick(lines);
  const tokens = rewrite(input.toString('latin1', start, end).split(' '));
  if (tokens === null) return input;
  return Buffer.concat([input.subarray(0, start), Buffer.from(tokens.join(' '), 'latin1'), input.subarray(end)]);
}

/** Numbers memcached parsers get wrong: negative, huge, past 32 and 64 bits, signs, blanks, not numbers, off by one. */
function numberVariants(original: number): string[] {
  return ['-1', '-0', '0', '00', `0${original}`, `+${original}`, '4294967295', '4294967296', '18446744073709551615',
    '18446744073709551616', '99999999999999999999999', '2147483648', '67108865', '1048577', '', 'x', '1e3', '0x10', '5x',
    String(original + 1), String(Math.max(0, original - 1)), String(original * 10), String(original + 1000)];
}

/** A number on a line replaced by an odd one: a data length that lies, flags, exptimes, deltas and CAS uniques. */
const badNumber: Mutator = {
  name: 'bad-number',
  apply: (input, rng) => rewriteLine(input, rng, (tokens) => {
    const numbers = tokens.map((token, i) => (i > 0 && /^-?\d+$/.test(token) ? i : -1)).filter((i) => i > 0);
    if (numbers.length === 0) return null;
    const at = rng.pick(numbers);
    tokens[at] = rng.pick(numberVariants(Number(tokens[at])));
    return tokens;
  }),
};

/** A key of 249-300 bytes: memcached's limit is 250. */
const longKey: Mutator = {
  name: 'long-key',
  apply: (input, rng) => rewriteLine(input, rng, (tokens) => {
    if (tokens.length < 2 || tokens[0] === 'version' || tokens[0] === 'quit') return null;
    tokens[tokens[0]!.startsWith('get') ? rng.between(1, tokens.length - 1) : 1] = `f:${'L'.repeat(rng.between(247, 298))}`;
    return tokens;
  }),
};

/** A token dropped, doubled, or an extra one added. */
const tokenCount: Mutator = {
  name: 'token-count',
  apply: (input, rng) => rewriteLine(input, rng, (tokens) => {
    const at = rng.int(tokens.length);
    const choice = rng.int(3);
    if (choice === 0) tokens.splice(at, 1);
    else if (choice === 1) tokens.splice(at, 0, tokens[at]!);
    else tokens.push(rng.pick(['0', 'x', 'f:a', '1', '']));
    return tokens;
  }),
};

/** `noreply` where it does not belong: on a get, version or quit, twice, or before other tokens. */
const noreplyOddly: Mutator = {
  name: 'noreply-odd',
  apply: (input, rng) => rewriteLine(input, rng, (tokens) => {
    tokens.splice(rng.between(1, tokens.length), 0, rng.pick(['noreply', 'noreply', 'NOREPLY', 'noreply noreply', 'norepl']));
    return tokens;
  }),
};

/** A command line around or past memcached's 2,048 bytes. */
const longLine: Mutator = {
  name: 'long-line',
  apply: (input, rng) => rewriteLine(input, rng, (tokens) => {
    const padding = rng.pick([' ', 'k', ' f:pad']).repeat(rng.between(2000, rng.chance(0.2) ? 40000 : 2100));
    tokens.splice(rng.between(1, tokens.length), 0, padding);
    return tokens;
  }),
};

/** A line ended by LF alone, or by CR alone. */
const bareLineEnd: Mutator = {
  name: 'bare-lf',
  apply(input, rng) {
    const ends: number[] = [];
    for (let i = input.indexOf('\r\n'); i !== -1; i = input.indexOf('\r\n', i + 2)) ends.push(i);
    if (ends.length === 0) return input;
    const at = rng.pick(ends) + (rng.chance(0.7) ? 0 : 1);
    return Buffer.concat([input.subarray(0, at), input.subarray(at + 1)]);
  },
};

/** A storage command's data block cut short or made longer, its CRLF kept: the length now lies. */
const wrongDataLength: Mutator = {
  name: 'data-length',
  apply(input, rng) {
    const blocks = commandLines(input).filter(({ start, end }) => STORAGE.has(input.toString('latin1', start, input.indexOf(' ', start))) &&
      /^\d+$/.test(input.toString('latin1', start, end).split(' ')[4] ?? ''));
    if (blocks.length === 0) return input;
    const { start, end } = rng.pick(blocks);
    const dataStart = end + 2;
    const length = Number(input.toString('latin1', start, end).split(' ')[4]);
    if (dataStart + length > input.length) return input;
    const change = rng.chance(0.5) ? -rng.between(1, Math.max(1, length)) : rng.between(1, 40);
    const data = change < 0 ? input.subarray(dataStart, dataStart + Math.max(0, length + change)) : Buffer.concat([input.subarray(dataStart, dataStart + length), rng.bytes(change)]);
    return Buffer.concat([input.subarray(0, dataStart), data, input.subarray(dataStart + length)]);
  },
};

// ---- reply mutators (for the fake server)

/** A VALUE line's length replaced by one that lies (or is not a number). */
const valueLengthLie: Mutator = {
  name: 'value-length',
  apply(input, rng) {
    const lines = valueLines(input);
    if (lines.length === 0) return input;
    const { start, end } = rng.pick(lines);
    const tokens = input.toString('latin1', start, end).split(' ');
    tokens[3] = rng.pick(numberVariants(Number(tokens[3])));
    return Buffer.concat([input.subarray(0, start), Buffer.from(tokens.join(' '), 'latin1'), input.subarray(end)]);
  },
};

/** The END of a retrieval reply left out, or cut. */
const missingEnd: Mutator = {
  name: 'missing-end',
  apply: (input, rng) => (input.subarray(-END.length).equals(END) ? input.subarray(0, input.length - rng.between(2, END.length)) : input),
};

/** A line that no memcached sends, put before the reply, in place of it or after its first line. */
const garbageLine: Mutator = {
  name: 'garbage-line',
  apply(input, rng) {
    const garbage = Buffer.from(rng.pick(['HELLO\r\n', 'VALUE\r\n', 'VALUE h:x 0\r\n', 'STORED extra\r\n', '\r\n', 'END \r\n', '+OK\r\n',
      '-ERR no\r\n', 'VALUE h:x 0 -1\r\n', 'SERVER_ERROR\r\n', 'VERSION\r\n', '1x\r\n', 'VALUE h:x x 1\r\nx\r\n']), 'latin1');
    const choice = rng.int(3);
    if (choice === 0) return Buffer.concat([garbage, input]);
    if (choice === 1) return garbage;
    const firstLine = input.indexOf('\r\n');
    return firstLine === -1 ? Buffer.concat([input, garbage]) : Buffer.concat([input.subarray(0, firstLine + 2), garbage, input.subarray(firstLine + 2)]);
  },
};

/** A CAS unique on VALUE lines of a reply to get (valid framing alone: sent when combined with damage that is not). */
const unaskedCas: Mutator = {
  name: 'unasked-cas',
  apply(input, rng) {
    const lines = valueLines(input).filter(({ start, end }) => input.toString('latin1', start, end).split(' ').length === 4);
    if (lines.length === 0) return input;
    const { end } = rng.pick(lines);
    return Buffer.concat([input.subarray(0, end), Buffer.from(` ${rng.pick(['1', '18446744073709551615', '99999999999999999999999', '-1', 'x'])}`), input.subarray(end)]);
  },
};

function valueLines(input: Buffer): { start: number; end: number }[] {
  const found: { start: number; end: number }[] = [];
  for (let start = input.indexOf('VALUE '); start !== -1; start = input.indexOf('VALUE ', start + 1)) {
    const end = input.indexOf('\r\n', start);
    if (end === -1) break;
    if (input.toString('latin1', start, end).split(' ').length >= 4) found.push({ start, end });
  }
  return found;
}

// ---- honest workloads against real memcached servers

const key = (token: string, part = ''): string => `h:${token}${part}`;
const text = (request: Buffer): string => request.toString('latin1', 0, Math.min(120, request.indexOf('\r\n')));

function expect(request: Buffer, token: string, reply: Buffer, fallback?: (reply: Buffer) => boolean): Expected {
  return { request: text(request), token, reply, fallback };
}

/** A value carrying its token: printable, or binary with CRLFs and "END" lines inside; rarely near the item size. */
function honestValue(token: string, rng: Prng): Buffer {
  const head = Buffer.from(`v:${token}`);
  if (rng.chance(0.02)) return Buffer.concat([head, Buffer.alloc(rng.between(500000, NEAR_ITEM_LIMIT), 'N')]);
  if (rng.chance(0.3)) return Buffer.concat([head, BINARY.subarray(rng.int(BINARY.length))]);
  return Buffer.concat([head, Buffer.alloc(rng.between(0, 300), 'x')]);
}

/** A unit: a few requests over fresh keys (noreply ones have no expectation), the later ones reading what the earlier wrote. */
type Unit = (token: string, rng: Prng) => { requests: Buffer[]; expected: Expected[] };

/** Requests with their replies; a null reply is a noreply request, that gets none. */
function unit(token: string, steps: [Buffer, Buffer | null, ((reply: Buffer) => boolean)?][]): { requests: Buffer[]; expected: Expected[] } {
  return {
    requests: steps.map(([request]) => request),
    expected: steps.filter(([, reply]) => reply !== null).map(([request, reply, fallback]) => expect(request, token, reply!, fallback)),
  };
}

const setGet: Unit = (token, rng) => {
  const data = honestValue(token, rng);
  const flags = rng.pick([0, 1, rng.int(0x100000000), 4294967295]);
  const noreply = rng.chance(0.3);
  return unit(token, [
    [storage('set', key(token), data, { flags, noreply }), noreply ? null : STORED],
    [line('get', key(token)), retrieval([valueBlock(key(token), data, flags)])],
  ]);
};

const longestKey: Unit = (token) => {
  const longest = key(token, `:${'K'.repeat(250 - key(token, ':').length)}`);
  return unit(token, [[storage('set', longest, token), STORED], [line('get', longest), retrieval([valueBlock(longest, Buffer.from(token))])]]);
};

const addReplace: Unit = (token) => unit(token, [
  [storage('add', key(token), 'a'), STORED], [storage('add', key(token), 'b'), word('NOT_STORED')],
  [storage('replace', key(token, ':none'), 'c'), word('NOT_STORED')], [storage('replace', key(token), `r:${token}`, { noreply: true }), null],
  [line('get', key(token)), retrieval([valueBlock(key(token), Buffer.from(`r:${token}`))])],
]);

const appendPrepend: Unit = (token, rng) => {
  const noreply = rng.chance(0.5);
  return unit(token, [
    [storage('set', key(token), token), STORED], [storage('append', key(token), ':end', { noreply }), noreply ? null : STORED],
    [storage('prepend', key(token), 'start:'), STORED], [storage('append', key(token, ':none'), 'x'), word('NOT_STORED')],
    [line('get', key(token)), retrieval([valueBlock(key(token), Buffer.from(`start:${token}:end`))])],
  ]);
};

/** incr/decr never shrink the value before a get: memcached may pad a shortened number with spaces. */
const incrDecr: Unit = (token) => unit(token, [
  [storage('set', key(token), '10'), STORED], [line('incr', key(token), '5'), word('15')], [line('decr', key(token), '20'), word('0')],
  [line('incr', key(token), '7', 'noreply'), null], [line('incr', key(token), '0'), word('7')],
  [line('decr', key(token, ':none'), '1'), word('NOT_FOUND')],
]);

const casUnique = /^VALUE (\S+) 0 (\d+) (\d+)\r\n/;

const casAndGets: Unit = (token) => {
  const stored = Buffer.from(`c:${token}`);
  const block = valueBlock(key(token), stored);
  // The CAS unique memcached gives is not known in advance: any number, the rest exact.
  const getsReply = (reply: Buffer): boolean => {
    const match = casUnique.exec(reply.toString('latin1'));
    return match !== null && reply.equals(retrieval([valueBlock(key(token), stored, 0, match[3])]));
  };
  return unit(token, [
    [storage('cas', key(token), 'x', { cas: '1' }), word('NOT_FOUND')], [storage('set', key(token), stored), STORED],
    [storage('cas', key(token), 'x', { cas: '18446744073709551615' }), word('EXISTS')],
    [storage('cas', key(token), 'x', { cas: '18446744073709551615', noreply: true }), null],
    [line('gets', key(token)), retrieval([valueBlock(key(token), stored, 0, '<any>')]), getsReply], [line('get', key(token)), retrieval([block])],
  ]);
};

const deleteTouch: Unit = (token, rng) => {
  const noreply = rng.chance(0.5);
  return unit(token, [
    [storage('set', key(token), token), STORED], [line('touch', key(token), '1000'), word('TOUCHED')],
    [line('touch', key(token, ':none'), '10'), word('NOT_FOUND')],
    [noreply ? line('delete', key(token), 'noreply') : line('delete', key(token)), noreply ? null : word('DELETED')],
    [line('delete', key(token)), word('NOT_FOUND')], [line('get', key(token)), END],
  ]);
};

/** Keys on both shards, one missing, one asked twice: the values in the order asked, one END. */
const multiGet: Unit = (token, rng) => {
  const parts = [':a', ':b', ':c', ':d', ':e'];
  const data = new Map(parts.map((part) => [key(token, part), Buffer.from(`m:${token}${part}`)]));
  const asked = [...data.keys(), key(token, ':none'), key(token, ':a')];
  const command = rng.chance(0.3) ? 'gets' : 'get';
  const blocks = (cas: string[]): Buffer[] => asked.filter((k) => data.has(k)).map((k, i) => valueBlock(k, data.get(k)!, 0, cas[i]));
  const getsReply = (reply: Buffer): boolean => {
    const uniques = [...reply.toString('latin1').matchAll(/^VALUE \S+ 0 \d+ (\d+)\r$/gm)].map((match) => match[1]!);
    return reply.equals(retrieval(blocks(uniques)));
  };
  return unit(token, [
    ...[...data].map(([k, v], i): [Buffer, Buffer | null] => [storage('set', k, v, { noreply: i % 2 === 1 }), i % 2 === 1 ? null : STORED]),
    command === 'get' ? [line('get', ...asked), retrieval(blocks([]))] : [line('gets', ...asked), retrieval(blocks(asked.map(() => '<any>'))), getsReply],
  ]);
};

const versionLine = /^VERSION [0-9][ -~]*\r\n$/;
const version: Unit = (token) => unit(token, [[line('version'), word('VERSION ?'), (reply) => versionLine.test(reply.toString('latin1'))]]);

const UNITS: readonly Unit[] = [setGet, longestKey, addReplace, appendPrepend, incrDecr, casAndGets, deleteTouch, multiGet, version];

/** Honest clients of real memcached servers: every reply exact (a CAS unique or a version any). */
export const memcachedWorkload: Workload = {
  batch(rng, token) {
    const requests: Buffer[] = [];
    const expected: Expected[] = [];
    for (let i = rng.between(1, 8); i > 0; i--) {
      const made = rng.pick(UNITS)(token(), rng);
      requests.push(...made.requests);
      expected.push(...made.expected);
    }
    return { bytes: Buffer.concat(requests), expected };
  },
};

// ---- the fake server: answers that depend only on the request, so every reply identifies it

const BIG = /:big:(\d+)$/;

/** A key's value: its name among CRLFs and an "END" line, or for ":big:<n>" keys n bytes. */
function fakeValue(name: string): Buffer {
  const big = BIG.exec(name);
  const unit = Buffer.from(`val:${name}\r\nEND\r\n`, 'latin1');
  return big === null ? unit : Buffer.alloc(Number(big[1]), unit);
}

/** A number that only this key gives (a CAS unique, an incr result). */
function keyNumber(name: string): number {
  let sum = 0;
  for (let i = 0; i < name.length; i++) sum = (sum * 31 + name.charCodeAt(i)) % 1000000007;
  return sum;
}

export function fakeMemcacheAnswer(request: Buffer): Buffer {
  const tokens = request.toString('latin1', 0, request.indexOf('\r\n')).split(' ');
  const [name, first] = tokens;
  if (tokens[tokens.length - 1] === 'noreply') return Buffer.alloc(0);
  switch (name) {
    case 'get': case 'gets':
      return retrieval(tokens.slice(1).map((k) => valueBlock(k, fakeValue(k), k.length, name === 'gets' ? String(keyNumber(k)) : undefined)));
    case 'set': return STORED;
    case 'delete': return word('DELETED');
    case 'incr': return word(String(keyNumber(first!)));
    case 'touch': return word('TOUCHED');
    case 'version': return word('VERSION 1.6.0-fake');
    default: return word(`SERVER_ERROR fake server: unexpected command '${name}'`);
  }
}

/** Honest clients of the fake servers: one request per token, whose reply only the fake server's rule decides. */
export const fakeMemcacheWorkload: Workload = {
  batch(rng, token) {
    const requests: Buffer[] = [];
    const expected: Expected[] = [];
    for (let i = rng.between(1, 12); i > 0; i--) {
      const t = token();
      const size = rng.chance(0.1) ? rng.between(100000, 300000) : rng.between(0, 2000);
      const request = rng.pick<() => Buffer>([
        () => line('get', key(t)),
        () => line('get', key(t, ':a'), key(t, ':b'), key(t, ':c'), key(t, ':d')),
        () => line('gets', key(t)),
        () => line('gets', key(t, ':a'), key(t, ':b'), key(t, ':c')),
        () => line('get', key(t, `:big:${size}`)),
        () => storage('set', key(t), `v:${t}`),
        () => storage('set', key(t), `v:${t}`, { noreply: true }),
        () => line('delete', key(t)),
        () => line('incr', key(t), '5'),
        () => line('touch', key(t), '10'),
      ])();
      requests.push(request);
      const reply = fakeMemcacheAnswer(request);
      if (reply.length > 0) expected.push(expect(request, t, reply));
    }
    return { bytes: Buffer.concat(requests), expected };
  },
};

export const MEMCACHE: FuzzProtocol = {
  name: 'memcache',
  requestCorpus: MEMCACHE_REQUEST_CORPUS,
  requestMutators: [badNumber, longKey, tokenCount, noreplyOddly, longLine, bareLineEnd, wrongDataLength, breakTerminator],
  replyMutators: [valueLengthLie, missingEnd, garbageLine, unaskedCas, breakTerminator],
  replyReader: () => new MemcacheReplyReader(),
  requestReader: () => new MemcacheRequestReader(),
  isError: (reply) => /^(?:(?:CLIENT|SERVER)_ERROR .*|ERROR)\r\n$/s.test(reply.toString('latin1')),
  fakeAnswer: fakeMemcacheAnswer,
};
