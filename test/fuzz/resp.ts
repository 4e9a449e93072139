// RESP for the fuzzer: an independent strict reader (stricter than any Redis client needs: exact
// CRLFs, no "-0", no leading zeros), the corpus of valid requests, RESP-aware mutators, honest
// workloads with their expected replies, and the fake server's answers.
import { encode } from '../helpers/raw-client.js';
import { breakTerminator, type Mutator } from './mutators.js';
import type { Prng } from './prng.js';
import { INCOMPLETE, INVALID, lineEnd, type Expected, type FuzzProtocol, type StrictReader, type Workload } from './protocol.js';

const CR = 13;
const LF = 10;
const MAX_DIGITS = 19;

/** Reads -?(0|[1-9][0-9]*) then CRLF into out.value ("-0" refused); the position after it. */
function numberLine(buf: Buffer, pos: number, out: { value: number }): number {
  const end = lineEnd(buf, pos);
  if (end < 0) return end;
  const text = buf.toString('latin1', pos, end - 2);
  if (!/^-?(0|[1-9][0-9]*)$/.test(text) || text === '-0' || text.replace('-', '').length > MAX_DIGITS) return INVALID;
  out.value = Number(text);
  return end;
}

class RespReplyReader implements StrictReader {
  need = 0;
  private readonly number = { value: 0 };

  end(buf: Buffer, start: number): number {
    let pos = start;
    let pending = 1;
    while (pending > 0) {
      if (pos >= buf.length) return this.incomplete(buf.length - start + 1);
      const type = String.fromCharCode(buf[pos]!);
      pending--;
      let next: number;
      switch (type) {
        case '+': case '-': case ',': case '(':
          next = lineEnd(buf, pos + 1);
          break;
        case ':':
          next = numberLine(buf, pos + 1, this.number);
          break;
        case '_':
          next = lineEnd(buf, pos + 1);
          if (next !== pos + 3 && next >= 0) return INVALID;
          break;
        case '#':
          next = lineEnd(buf, pos + 1);
          if (next >= 0 && (next !== pos + 4 || (buf[pos + 1] !== 0x74 && buf[pos + 1] !== 0x66))) return INVALID;
          break;
        case '$': case '=': case '!': {
          const dataStart = numberLine(buf, pos + 1, this.number);
          if (dataStart < 0 || this.number.value === -1) {
            next = dataStart;
            break;
          }
          if (this.number.value < -1) return INVALID;
          const dataEnd = dataStart + this.number.value;
          if (dataEnd + 2 > buf.length) return this.incomplete(dataEnd + 2 - start);
          if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) return INVALID;
          next = dataEnd + 2;
          break;
        }
        case '*': case '~': case '>': case '%': case '|': {
          next = numberLine(buf, pos + 1, this.number);
          if (next < 0) break;
          if (this.number.value < -1) return INVALID;
          const count = Math.max(0, this.number.value);
          pending += type === '%' || type === '|' ? count * 2 : count;
          if (type === '|') pending++;
          break;
        }
        default:
          return INVALID;
      }
      if (next === INCOMPLETE) return this.incomplete(buf.length - start + 1);
      if (next === INVALID) return INVALID;
      pos = next;
    }
    return pos;
  }

  private incomplete(need: number): number {
    this.need = need;
    return INCOMPLETE;
  }
}

/** Requests as Redis takes them from clients: an array of one or more bulk strings. */
class RespRequestReader implements StrictReader {
  need = 0;
  private readonly number = { value: 0 };

  end(buf: Buffer, start: number): number {
    if (start >= buf.length) return this.incomplete(1);
    if (buf[start] !== 0x2a /* * */) return INVALID;
    let pos = numberLine(buf, start + 1, this.number);
    if (pos === INCOMPLETE) return this.incomplete(buf.length - start + 1);
    if (pos === INVALID || this.number.value < 1) return INVALID;
    for (let i = this.number.value; i > 0; i--) {
      if (pos >= buf.length) return this.incomplete(pos - start + 1);
      if (buf[pos] !== 0x24 /* $ */) return INVALID;
      const dataStart = numberLine(buf, pos + 1, this.number);
      if (dataStart === INCOMPLETE) return this.incomplete(buf.length - start + 1);
      if (dataStart === INVALID || this.number.value < 0) return INVALID;
      const dataEnd = dataStart + this.number.value;
      if (dataEnd + 2 > buf.length) return this.incomplete(dataEnd + 2 - start);
      if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) return INVALID;
      pos = dataEnd + 2;
    }
    return pos;
  }

  private incomplete(need: number): number {
    this.need = need;
    return INCOMPLETE;
  }
}

/** The arguments of one complete, valid request. */
export function requestArgs(request: Buffer): Buffer[] {
  const args: Buffer[] = [];
  let pos = request.indexOf('\r\n') + 2;
  while (pos < request.length) {
    const lineEnd = request.indexOf('\r\n', pos);
    const length = Number(request.toString('latin1', pos + 1, lineEnd));
    args.push(request.subarray(lineEnd + 2, lineEnd + 2 + length));
    pos = lineEnd + 4 + length;
  }
  return args;
}

// ---- replies, as Redis writes them

const bulk = (value: string | Buffer): Buffer => {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n')]);
};
const array = (items: Buffer[]): Buffer => Buffer.concat([Buffer.from(`*${items.length}\r\n`), ...items]);
const integer = (value: number): Buffer => Buffer.from(`:${value}\r\n`);
const OK = Buffer.from('+OK\r\n');
const NIL = Buffer.from('$-1\r\n');
const PONG = Buffer.from('+PONG\r\n');

// ---- the corpus: valid requests over keys that honest clients never use

const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

export const REQUEST_CORPUS: readonly Buffer[] = [
  encode('SET', 'f:a', 'hello'), encode('GET', 'f:a'), encode('MSET', 'f:a', '1', 'f:b', '2', 'f:c', '3'),
  encode('MGET', 'f:a', 'f:b', 'f:c', 'f:d'), encode('DEL', 'f:a', 'f:b'), encode('EXISTS', 'f:a', 'f:c'),
  encode('INCR', 'f:n'), encode('INCRBY', 'f:n', '5'), encode('APPEND', 'f:a', 'xyz'), encode('STRLEN', 'f:a'),
  encode('HSET', 'f:h', 'k', 'v', 'k2', 'v2'), encode('HGETALL', 'f:h'), encode('RPUSH', 'f:l', 'a', 'b'),
  encode('LRANGE', 'f:l', '0', '-1'), encode('SADD', 'f:s', 'x', 'y'), encode('SMEMBERS', 'f:s'),
  encode('ZADD', 'f:z', '1', 'a', '2', 'b'), encode('ZRANGE', 'f:z', '0', '-1', 'WITHSCORES'), encode('EXPIRE', 'f:a', '100'),
  encode('TTL', 'f:a'), encode('PING'), encode('PING', 'hi'), encode('ECHO', 'hey'), encode('EVAL', 'return KEYS[1]', '1', 'f:a'),
  encode('GETSET', 'f:a', 'b'), encode('TYPE', 'f:a'), encode('SET', 'f:e', ''), encode('SET', 'f:bin', BINARY),
  encode('SET', 'f:big', 'B'.repeat(4096)), encode('KEYS', '*'), encode('SELECT', '0'), encode('INFO'), encode('UNLINK', 'f:c'),
  encode('QUIT'),
];

// ---- RESP-aware mutators

/** Lengths that parsers get wrong: huge, negative, "-0", leading zeros, signs, blanks, off by one. */
function lengthVariants(original: number): string[] {
  return ['99999999999', '2147483648', '4294967296', '9223372036854775807', '99999999999999999999999', '67108865',
    '-1', '-2', '-0', '-00', '00', `0${original}`, `+${original}`, ` ${original}`, `${original} `, '', 'x', '1e3', '0x10',
    String(original + 1), String(Math.max(0, original - 1)), String(original * 10)];
}

/** Every "*<n>" / "$<n>" / ":<n>" line start: where its digits start and end, its value, its type byte. */
function numberLines(input: Buffer): { start: number; end: number; value: number; type: string }[] {
  const found: { start: number; end: number; value: number; type: string }[] = [];
  const text = input.toString('latin1');
  const pattern = /(?:^|\r\n)([*$:~%>=!|])([0-9-]*)\r\n/g;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const start = match.index + match[0].length - 2 - match[2]!.length;
    found.push({ start, end: start + match[2]!.length, value: Number(match[2]) || 0, type: match[1]! });
    pattern.lastIndex = match.index + match[0].length - 2;
  }
  return found;
}

/**
 * Replaces a length by an odd spelling. For a bulk length it may also resize the data to the
 * number the new spelling reads as, so that only the spelling is wrong ("$-0\r\n\r\n", "$03\r\nabc\r\n").
 */
const badLength: Mutator = {
  name: 'bad-length',
  apply(input, rng) {
    const lines = numberLines(input);
    if (lines.length === 0) return input;
    const line = rng.pick(lines);
    const spelling = rng.pick(lengthVariants(line.value));
    const readAs = Math.abs(parseInt(spelling.trim(), 10));
    const dataStart = line.end + 2;
    if (line.type !== '$' || !(readAs <= 4096) || dataStart + line.value + 2 > input.length || !rng.chance(0.5)) {
      return Buffer.concat([input.subarray(0, line.start), Buffer.from(spelling, 'latin1'), input.subarray(line.end)]);
    }
    const data = Buffer.alloc(readAs, 'd');
    input.copy(data, 0, dataStart, dataStart + Math.min(readAs, line.value));
    return Buffer.concat([input.subarray(0, line.start), Buffer.from(`${spelling}\r\n`, 'latin1'), data, input.subarray(dataStart + line.value)]);
  },
};

const deepNesting: Mutator = {
  name: 'deep-nesting',
  apply: (input, rng) => Buffer.concat([Buffer.from('*1\r\n'.repeat(rng.between(1, rng.chance(0.3) ? 20000 : 64))), input]),
};

const inlineCommand: Mutator = {
  name: 'inline',
  apply: (input, rng) => Buffer.concat([Buffer.from(rng.pick(['PING\r\n', 'GET f:a\r\n', '\r\n', '\n', 'SET f:a 1\r\n'])), input]),
};

const badType: Mutator = {
  name: 'bad-type',
  apply(input, rng) {
    const out = Buffer.from(input);
    out[0] = rng.pick([0x3f, 0x78, 0x00, 0x20, 0x2a, 0x24, 0x2b, 0x2d, 0x3a, 0x5f, 0x23, 0x7c]);
    return out;
  },
};

// ---- honest workloads

const key = (token: string, part = ''): string => `h:${token}${part}`;
const value = (token: string, part = ''): string => `v:${token}${part}`;

function expect(request: string[], token: string, reply: Buffer, more: Partial<Expected> = {}): Expected {
  return { request: request.join(' ').slice(0, 120), token, reply, ...more };
}

/** An array reply each of whose elements is the expected one or nil (keys written by a write that may have failed). */
function elementsOrNil(expected: Buffer[]): (reply: Buffer) => boolean {
  return (reply) => {
    let pos = reply.indexOf('\r\n') + 2;
    if (reply.toString('latin1', 0, pos) !== `*${expected.length}\r\n`) return false;
    for (const element of expected) {
      const candidate = reply.subarray(pos, pos + element.length);
      if (candidate.equals(element)) pos += element.length;
      else if (reply.subarray(pos, pos + NIL.length).equals(NIL)) pos += NIL.length;
      else return false;
    }
    return pos === reply.length;
  };
}

const isNil = (reply: Buffer): boolean => reply.equals(NIL);

/**
 * What faults may do to a read of what a request before it wrote: nothing (healthy servers), make
 * the write fail (a failed write may or may not have been done), or also move the key to another
 * shard (ejection), where the read finds nothing.
 */
export type FaultMode = 'none' | 'failures' | 'ejection';

/** How a read depends on the write before it under `mode`: which other replies are right too, and when. */
function after(writes: Expected | Expected[], fallback: (reply: Buffer) => boolean, mode: FaultMode): Partial<Expected> {
  if (mode === 'none') return {};
  return mode === 'failures' ? { dependsOn: Array.isArray(writes) ? writes : [writes], fallback } : { fallback };
}

/** A unit: a few requests over fresh keys, the later ones reading what the earlier wrote. */
type Unit = (token: string, rng: Prng, faults: FaultMode) => { requests: Buffer[]; expected: Expected[] };

const setGet: Unit = (token, rng, faults) => {
  const stored = value(token, ':'.padEnd(rng.between(1, 300), 'x'));
  const set = expect(['SET', key(token), stored], token, OK);
  const get = expect(['GET', key(token)], token, bulk(stored), after(set, isNil, faults));
  return { requests: [encode('SET', key(token), stored), encode('GET', key(token))], expected: [set, get] };
};

const msetMget: Unit = (token, _rng, faults) => {
  const parts = [':a', ':b', ':c', ':d', ':e'];
  const pairs = parts.flatMap((part) => [key(token, part), value(token, part)]);
  const keys = [...parts.map((part) => key(token, part)), key(token, ':none')];
  const elements = [...parts.map((part) => bulk(value(token, part))), NIL];
  const mset = expect(['MSET', ...pairs], token, OK);
  const mget = expect(['MGET', ...keys], token, array(elements), after(mset, elementsOrNil(elements), faults));
  return { requests: [encode('MSET', ...pairs), encode('MGET', ...keys)], expected: [mset, mget] };
};

const incr: Unit = (token, _rng, faults) => {
  const first = expect(['INCRBY', key(token), '7'], token, integer(7));
  const second = expect(['INCR', key(token)], token, integer(8), after(first, (reply) => reply.equals(integer(1)), faults));
  return { requests: [encode('INCRBY', key(token), '7'), encode('INCR', key(token))], expected: [first, second] };
};

const del: Unit = (token, _rng, faults) => {
  const keys = [key(token, ':x'), key(token, ':y'), key(token, ':z')];
  const setX = expect(['SET', keys[0]!, '1'], token, OK);
  const setY = expect(['SET', keys[1]!, '2'], token, OK);
  const fewer = (reply: Buffer): boolean => reply.equals(integer(0)) || reply.equals(integer(1));
  const count = expect(['DEL', ...keys], token, integer(2), after([setX, setY], fewer, faults));
  return { requests: [encode('SET', keys[0]!, '1'), encode('SET', keys[1]!, '2'), encode('DEL', ...keys)], expected: [setX, setY, count] };
};

const hash: Unit = (token, _rng, faults) => {
  const hset = expect(['HSET', key(token), 'f', value(token)], token, integer(1));
  const hget = expect(['HGET', key(token), 'f'], token, bulk(value(token)), after(hset, isNil, faults));
  return { requests: [encode('HSET', key(token), 'f', value(token)), encode('HGET', key(token), 'f')], expected: [hset, hget] };
};

const list: Unit = (token, _rng, faults) => {
  const items = [value(token, ':1'), value(token, ':2')];
  const push = expect(['RPUSH', key(token), ...items], token, integer(2));
  const range = expect(['LRANGE', key(token), '0', '-1'], token, array(items.map((item) => bulk(item))),
    after(push, (reply) => reply.equals(Buffer.from('*0\r\n')), faults));
  return { requests: [encode('RPUSH', key(token), ...items), encode('LRANGE', key(token), '0', '-1')], expected: [push, range] };
};

const local: Unit = (token) => ({
  requests: [encode('PING'), encode('ECHO', value(token))],
  expected: [expect(['PING'], token, PONG), expect(['ECHO', value(token)], token, bulk(value(token)))],
});

const evalKey: Unit = (token) => ({
  requests: [encode('EVAL', 'return KEYS[1]', '1', key(token)), encode('EXISTS', key(token, ':none'))],
  expected: [expect(['EVAL', 'return KEYS[1]', '1', key(token)], token, bulk(key(token))), expect(['EXISTS', key(token, ':none')], token, integer(0))],
});

const LARGE_READS = 1200;

/** A 10 KB value read back 1,200 times: 12 MB of replies to one pipelined batch. */
const largePipeline: Unit = (token, _rng, faults) => {
  const stored = value(token, ':'.padEnd(10 * 1024, 'L'));
  const set = expect(['SET', key(token), `<10 KB value of ${token}>`], token, OK);
  const requests = [encode('SET', key(token), stored)];
  const expected = [set];
  for (let i = 0; i < LARGE_READS; i++) {
    requests.push(encode('GET', key(token)));
    expected.push(expect(['GET', key(token), `(read ${i + 1} of ${LARGE_READS})`], token, bulk(stored), after(set, isNil, faults)));
  }
  return { requests, expected };
};

const SMALL_UNITS: readonly Unit[] = [setGet, msetMget, incr, del, hash, list, local, evalKey];

/**
 * Honest clients of real Redis servers. With `faults`, a read may also see what a failed write
 * (that may or may not have been done) or an ejected shard leaves: never another request's value.
 */
export function redisWorkload(options: { faults: FaultMode; largePipelines: boolean }): Workload {
  return {
    batch(rng, token) {
      const requests: Buffer[] = [];
      const expected: Expected[] = [];
      const large = options.largePipelines && rng.chance(0.03);
      const units = large ? [largePipeline] : Array.from({ length: rng.between(1, 8) }, () => rng.pick(SMALL_UNITS));
      for (const unit of units) {
        const made = unit(token(), rng, options.faults);
        requests.push(...made.requests);
        expected.push(...made.expected);
      }
      // Half the large pipelines are read slowly: the client first lets the proxy's buffers fill.
      return { bytes: Buffer.concat(requests), expected, readPauseMs: large && rng.chance(0.5) ? 1000 : undefined };
    },
  };
}

// ---- the fake server: answers that depend only on the request, so every reply identifies it

const fakeValue = (name: Buffer): Buffer => Buffer.concat([Buffer.from('val:'), name]);

export function fakeAnswer(request: Buffer): Buffer {
  const [command, ...args] = requestArgs(request);
  switch (command?.toString('latin1').toUpperCase()) {
    case 'GET': return bulk(fakeValue(args[0]!));
    case 'SET': return OK;
    case 'MGET': return array(args.map((name) => bulk(fakeValue(name))));
    case 'DEL': case 'EXISTS': return integer(args.length);
    case 'LRANGE': return array([bulk(fakeValue(args[0]!)), integer(-1), NIL, array([bulk(''), integer(0)])]);
    case 'GETRANGE': {
      const length = Number(args[2]) + 1;
      const unit = fakeValue(args[0]!);
      return bulk(Buffer.alloc(length, unit));
    }
    default: return Buffer.from(`-ERR fake server: unexpected command '${command?.toString('latin1')}'\r\n`);
  }
}

/** Honest clients of the fake server: one request per token, whose reply only the fake server's rule decides. */
export const fakeServerWorkload: Workload = {
  batch(rng, token) {
    const requests: Buffer[] = [];
    for (let i = rng.between(1, 12); i > 0; i--) {
      const t = token();
      const args = rng.pick<() => string[]>([
        () => ['GET', key(t)],
        () => ['SET', key(t), value(t)],
        () => ['MGET', key(t, ':a'), key(t, ':b'), key(t, ':c'), key(t, ':d')],
        () => ['DEL', key(t, ':a'), key(t, ':b'), key(t, ':c')],
        () => ['LRANGE', key(t), '0', '-1'],
        () => ['GETRANGE', key(t), '0', String(rng.chance(0.1) ? rng.between(100000, 300000) : rng.between(0, 2000))],
      ])();
      requests.push(encode(...args));
    }
    const expected = requests.map((request) => {
      const args = requestArgs(request).map((arg) => arg.toString('latin1'));
      return expect(args, args[1]!.slice(2).replace(/:.*/, ''), fakeAnswer(request));
    });
    return { bytes: Buffer.concat(requests), expected };
  },
};

export const RESP: FuzzProtocol = {
  name: 'resp',
  requestCorpus: REQUEST_CORPUS,
  requestMutators: [badLength, deepNesting, inlineCommand, breakTerminator, badType],
  replyMutators: [badLength, deepNesting, breakTerminator, badType],
  replyReader: () => new RespReplyReader(),
  requestReader: () => new RespRequestReader(),
  isError: (reply) => reply[0] === 0x2d /* - */,
  fakeAnswer,
};
