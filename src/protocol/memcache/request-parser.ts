// Streaming parser for memcached ASCII requests as clients send them: a command line, and for the
// storage commands a data block. It records token positions inside the received buffer and
// copies nothing; the checks are memcached's own, so a server never answers a request the proxy
// let through as `noreply`.
import { clientText } from '../../log/client-text.js';

export const enum ParseStatus {
  Complete,
  Incomplete,
  Invalid,
}

export const enum Command {
  Get,
  Gets,
  Set,
  Add,
  Replace,
  Append,
  Prepend,
  Cas,
  Incr,
  Decr,
  Delete,
  Touch,
  Quit,
  Version,
}

/** memcached's KEY_MAX_LENGTH. */
export const MAX_KEY_LENGTH = 250;
/** A command line longer than this without its end is refused, as memcached refuses it (get/gets excepted). */
export const MAX_LINE_LENGTH = 2048;
/** A get/gets line (many keys) may be this long. */
export const MAX_RETRIEVAL_LINE_LENGTH = 1024 * 1024;
/** Largest data block accepted; larger announcements are refused before any byte is buffered. */
export const MAX_VALUE_LENGTH = 64 * 1024 * 1024;

const CR = 13;
const LF = 10;
const SPACE = 32;

const NAMES: readonly [string, Command][] = [
  ['get', Command.Get], ['gets', Command.Gets], ['set', Command.Set], ['add', Command.Add],
  ['replace', Command.Replace], ['append', Command.Append], ['prepend', Command.Prepend], ['cas', Command.Cas],
  ['incr', Command.Incr], ['decr', Command.Decr], ['delete', Command.Delete], ['touch', Command.Touch],
  ['quit', Command.Quit], ['version', Command.Version],
];
/** Command names by length, so a lookup compares the token with at most three names. */
const NAMES_BY_LENGTH: [Buffer, Command][][] = [];
for (const [name, command] of NAMES) (NAMES_BY_LENGTH[name.length] ??= []).push([Buffer.from(name), command]);

const NOREPLY = Buffer.from('noreply');
const BAD_FORMAT = 'CLIENT_ERROR bad command line format';

/** Reused between requests: the parse of the last request. */
export class ParsedRequest {
  command = Command.Get;
  /** Number of keys: several for get/gets, one for the other keyed commands, 0 for quit/version. */
  keyCount = 0;
  /** True when the request ends with `noreply`: the server sends nothing back. */
  noreply = false;
  /** Position just after the request (complete), or after the refused line (invalid and not fatal). */
  end = 0;
  /** When incomplete: how many bytes, counted from the request start, to buffer before parsing again. */
  need = 0;
  /** When invalid: the reply memcached gives, without its CRLF ("ERROR", "CLIENT_ERROR ..."). */
  error = '';
  /** When invalid: true when the request's end cannot be known, so the client must be closed. */
  fatal = false;

  private tokenCount = 0;
  /** The last tokenized line holds a NUL byte, where memcached would end it. */
  private lineHasNul = false;
  /** Bytes of the current line already searched for its LF (a long get line trickled in is searched once). */
  private lineSearched = 0;
  private tokenStart = new Int32Array(16);
  private tokenEnd = new Int32Array(16);

  /** Start of key `index` (0-based) in the buffer. */
  keyStart(index: number): number {
    return this.tokenStart[index + 1]!;
  }

  keyEnd(index: number): number {
    return this.tokenEnd[index + 1]!;
  }

  /** `maxValueBytes`: data blocks larger than this are refused before they are buffered. */
  constructor(private readonly maxValueBytes = MAX_VALUE_LENGTH) {}

  /** Parses the request that starts at `start` (after an incomplete parse, the same request again). */
  parse(buf: Buffer, start: number): ParseStatus {
    const lf = buf.indexOf(LF, start + this.lineSearched);
    if (lf === -1) return this.incompleteLine(buf, start);
    this.lineSearched = 0;
    const lineEnd = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
    this.tokenize(buf, start, lineEnd);
    this.noreply = false;
    if (this.tokenCount === 0) return this.refuse(lf + 1, 'ERROR');
    const command = lookupCommand(buf, this.tokenStart[0]!, this.tokenEnd[0]!);
    if (command === undefined) {
      const name = clientText(buf, this.tokenStart[0]!, this.tokenEnd[0]!);
      return this.refuse(lf + 1, `CLIENT_ERROR unknown or unsupported command '${name}': nutcracker routes only ` +
        'get, gets, set, add, replace, append, prepend, cas, incr, decr, delete, touch, version and quit');
    }
    this.command = command;
    if (command !== Command.Get && command !== Command.Gets && lf - start > MAX_LINE_LENGTH) {
      return this.fatalError('CLIENT_ERROR line too long');
    }
    // memcached would end the line at the NUL and frame the rest its own way: never forwarded.
    if (this.lineHasNul) return isStorage(command) ? this.fatalError(BAD_FORMAT) : this.refuse(lf + 1, BAD_FORMAT);
    switch (command) {
      case Command.Get:
      case Command.Gets:
        return this.retrieval(lf + 1);
      case Command.Set:
      case Command.Add:
      case Command.Replace:
      case Command.Append:
      case Command.Prepend:
      case Command.Cas:
        return this.storage(buf, start, lf + 1, command === Command.Cas ? 6 : 5);
      case Command.Incr:
      case Command.Decr:
        return this.keyed(buf, lf + 1, isDelta, 'CLIENT_ERROR invalid numeric delta argument');
      case Command.Touch:
        return this.keyed(buf, lf + 1, isSigned, 'CLIENT_ERROR invalid exptime argument');
      case Command.Delete:
        return this.delete(buf, lf + 1);
      case Command.Quit:
      case Command.Version:
        this.keyCount = 0;
        return this.tokenCount === 1 ? this.complete(lf + 1) : this.refuse(lf + 1, 'ERROR');
    }
  }

  /** get/gets <key>*: every token after the name is a key. */
  private retrieval(end: number): ParseStatus {
    if (this.tokenCount < 2) return this.refuse(end, 'ERROR');
    this.keyCount = this.tokenCount - 1;
    for (let i = 1; i < this.tokenCount; i++) {
      if (this.tokenEnd[i]! - this.tokenStart[i]! > MAX_KEY_LENGTH) return this.refuse(end, BAD_FORMAT);
    }
    return this.complete(end);
  }

  /**
   * <command> <key> <flags> <exptime> <bytes> [<cas unique>] [noreply]\r\n<data block>\r\n.
   * A bad line closes the client: without a trusted length, where the data block ends is unknown.
   */
  private storage(buf: Buffer, start: number, dataStart: number, fixedTokens: number): ParseStatus {
    const tokens = this.tokenCount;
    if (tokens !== fixedTokens && tokens !== fixedTokens + 1) return this.fatalError('ERROR');
    this.keyCount = 1;
    this.noreply = tokens === fixedTokens + 1 && this.isNoreply(buf, fixedTokens);
    const { tokenStart: s, tokenEnd: e } = this;
    if (e[1]! - s[1]! > MAX_KEY_LENGTH || !isUint64(buf, s[2]!, e[2]!) ||
      !isSigned(buf, s[3]!, e[3]!) || !isUnsigned(buf, s[4]!, e[4]!, 9) || (fixedTokens === 6 && !isUint64(buf, s[5]!, e[5]!))) {
      return this.fatalError(BAD_FORMAT);
    }
    const length = decimalValue(buf, s[4]!, e[4]!);
    if (length > this.maxValueBytes) return this.fatalError(`CLIENT_ERROR value of ${length} bytes is over the ${this.maxValueBytes} bytes nutcracker accepts`);
    const dataEnd = dataStart + length;
    // A data block longer than announced is refused as soon as its first extra byte is there.
    if ((dataEnd < buf.length && buf[dataEnd] !== CR) || (dataEnd + 1 < buf.length && buf[dataEnd + 1] !== LF)) {
      return this.fatalError('CLIENT_ERROR bad data chunk');
    }
    return dataEnd + 2 > buf.length ? this.incomplete(dataEnd + 2 - start) : this.complete(dataEnd + 2);
  }

  /** <command> <key> <argument> [noreply] (incr, decr, touch). */
  private keyed(buf: Buffer, end: number, argumentValid: NumberCheck, argumentError: string): ParseStatus {
    const tokens = this.tokenCount;
    if (tokens !== 3 && tokens !== 4) return this.refuse(end, 'ERROR');
    this.keyCount = 1;
    if (this.tokenEnd[1]! - this.tokenStart[1]! > MAX_KEY_LENGTH) return this.refuse(end, BAD_FORMAT);
    if (!argumentValid(buf, this.tokenStart[2]!, this.tokenEnd[2]!)) return this.refuse(end, argumentError);
    this.noreply = tokens === 4 && this.isNoreply(buf, 3);
    return this.complete(end);
  }

  /** delete <key> [0] [noreply]: memcached still accepts a hold time of 0. */
  private delete(buf: Buffer, end: number): ParseStatus {
    const tokens = this.tokenCount;
    if (tokens < 2) return this.refuse(end, 'ERROR');
    this.keyCount = 1;
    if (this.tokenEnd[1]! - this.tokenStart[1]! > MAX_KEY_LENGTH) return this.refuse(end, BAD_FORMAT);
    const holdIsZero = tokens >= 3 && this.tokenEnd[2]! - this.tokenStart[2]! === 1 && buf[this.tokenStart[2]!] === 48 /* 0 */;
    const noreply = tokens >= 3 && this.isNoreply(buf, tokens - 1);
    const valid = tokens === 2 || (tokens === 3 && (holdIsZero || noreply)) || (tokens === 4 && holdIsZero && noreply);
    if (!valid) return this.refuse(end, `${BAD_FORMAT}.  Usage: delete <key> [noreply]`);
    this.noreply = noreply;
    return this.complete(end);
  }

  private isNoreply(buf: Buffer, token: number): boolean {
    return NOREPLY.compare(buf, this.tokenStart[token]!, this.tokenEnd[token]!) === 0;
  }

  /** Splits buf[start, end) on spaces, as memcached's tokenizer does. */
  private tokenize(buf: Buffer, start: number, end: number): void {
    let count = 0;
    let pos = start;
    let nul = false;
    while (pos < end) {
      while (pos < end && buf[pos] === SPACE) pos++;
      if (pos === end) break;
      const tokenStart = pos;
      for (; pos < end && buf[pos] !== SPACE; pos++) {
        if (buf[pos] === 0) nul = true;
      }
      if (count === this.tokenStart.length) this.grow();
      this.tokenStart[count] = tokenStart;
      this.tokenEnd[count] = pos;
      count++;
    }
    this.tokenCount = count;
    this.lineHasNul = nul;
  }

  private grow(): void {
    const size = this.tokenStart.length * 2;
    const starts = new Int32Array(size);
    const ends = new Int32Array(size);
    starts.set(this.tokenStart);
    ends.set(this.tokenEnd);
    this.tokenStart = starts;
    this.tokenEnd = ends;
  }

  /** No line end yet: wait for more, unless the line is already longer than memcached allows. */
  private incompleteLine(buf: Buffer, start: number): ParseStatus {
    const length = buf.length - start;
    if (length > MAX_RETRIEVAL_LINE_LENGTH || (length > MAX_LINE_LENGTH && !startsWithRetrieval(buf, start))) {
      return this.fatalError('CLIENT_ERROR line too long');
    }
    this.lineSearched = length;
    return this.incomplete(length + 1);
  }

  private complete(end: number): ParseStatus {
    this.end = end;
    return ParseStatus.Complete;
  }

  private incomplete(need: number): ParseStatus {
    this.need = need;
    return ParseStatus.Incomplete;
  }

  /** The request is refused with `error`; parsing goes on after its line. */
  private refuse(end: number, error: string): ParseStatus {
    this.end = end;
    this.error = error;
    this.fatal = false;
    return ParseStatus.Invalid;
  }

  private fatalError(error: string): ParseStatus {
    this.lineSearched = 0;
    this.error = error;
    this.fatal = true;
    return ParseStatus.Invalid;
  }
}

function lookupCommand(buf: Buffer, start: number, end: number): Command | undefined {
  const candidates = NAMES_BY_LENGTH[end - start];
  if (candidates === undefined) return undefined;
  for (const [name, command] of candidates) if (name.compare(buf, start, end) === 0) return command;
  return undefined;
}

/** True when the line (after leading spaces) starts with "get " or "gets ", whose lines may be long. */
function startsWithRetrieval(buf: Buffer, start: number): boolean {
  let pos = start;
  while (pos < buf.length && buf[pos] === SPACE) pos++;
  if (buf[pos] !== 103 /* g */ || buf[pos + 1] !== 101 /* e */ || buf[pos + 2] !== 116 /* t */) return false;
  return buf[pos + 3] === SPACE || (buf[pos + 3] === 115 /* s */ && buf[pos + 4] === SPACE);
}

type NumberCheck = (buf: Buffer, start: number, end: number) => boolean;

/** An incr/decr delta: a 64-bit unsigned decimal. */
function isDelta(buf: Buffer, start: number, end: number): boolean {
  return isUint64(buf, start, end);
}

const UINT64_MAX = Buffer.from('18446744073709551615');

/** The commands followed by a data block. */
function isStorage(command: Command): boolean {
  return command >= Command.Set && command <= Command.Cas;
}

/** A decimal memcached reads as a 64-bit unsigned number (flags, CAS unique, delta): at most 2^64-1. */
function isUint64(buf: Buffer, start: number, end: number): boolean {
  if (!isUnsigned(buf, start, end, UINT64_MAX.length)) return false;
  return end - start < UINT64_MAX.length || UINT64_MAX.compare(buf, start, end) >= 0;
}

function isUnsigned(buf: Buffer, start: number, end: number, maxDigits: number): boolean {
  if (end === start || end - start > maxDigits) return false;
  for (let i = start; i < end; i++) if (buf[i]! < 48 || buf[i]! > 57) return false;
  return true;
}

/** An exptime: digits with an optional minus (memcached expires negative times at once). */
function isSigned(buf: Buffer, start: number, end: number): boolean {
  return buf[start] === 45 /* - */ ? isUnsigned(buf, start + 1, end, 10) : isUnsigned(buf, start, end, 10);
}

function decimalValue(buf: Buffer, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (buf[i]! - 48);
  return value;
}
