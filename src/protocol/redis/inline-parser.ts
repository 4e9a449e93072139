// Inline commands, as telnet users type them and redis-benchmark's PING_INLINE sends them: one
// line of space-separated arguments with Redis's quoting rules. Each is turned into the RESP
// array it stands for, so that it is routed and forwarded like any other request. Empty lines
// are skipped, as Redis skips them.
import { LF, CR } from './resp.js';

export const enum InlineStatus {
  Complete,
  /** A line without arguments: nothing to do. */
  Empty,
  Incomplete,
  Invalid,
}

/** Longest inline line Redis accepts (PROTO_INLINE_MAX_SIZE). */
export const MAX_INLINE_LENGTH = 64 * 1024;

const SPACE = 32;
const TAB = 9;
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const BACKSLASH = 92;

/** Reused between requests: the parse of the last inline line. */
export class InlineParser {
  /** When complete: the command as a RESP array of bulk strings. */
  request: Buffer = Buffer.alloc(0);
  /** Position just after the line (its LF). */
  end = 0;
  /** When incomplete: bytes, counted from the line start, to buffer before parsing again. */
  need = 0;
  /** When invalid: Redis's protocol error text. */
  error = '';

  /** Bytes of the current line already searched for its LF (a line trickled in is searched once). */
  private searched = 0;

  /** Parses the line that starts at `start` (after an incomplete parse, the same line again). */
  parse(buf: Buffer, start: number): InlineStatus {
    const lf = buf.indexOf(LF, start + this.searched);
    if (lf === -1) {
      if (buf.length - start > MAX_INLINE_LENGTH) return this.invalid('Protocol error: too big inline request');
      this.searched = buf.length - start;
      this.need = this.searched + 1;
      return InlineStatus.Incomplete;
    }
    this.searched = 0;
    this.end = lf + 1;
    const lineEnd = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
    const args = splitArgs(buf, start, lineEnd);
    if (args === null) return this.invalid('Protocol error: unbalanced quotes in request');
    if (args.length === 0) return InlineStatus.Empty;
    this.request = encodeArgs(args);
    return InlineStatus.Complete;
  }

  private invalid(message: string): InlineStatus {
    this.searched = 0;
    this.error = message;
    return InlineStatus.Invalid;
  }
}

function isSpace(byte: number): boolean {
  return byte === SPACE || (byte >= TAB && byte <= CR);
}

/**
 * Redis's sdssplitargs over buf[start, end): arguments separated by white space; "double quotes"
 * with \n \r \t \b \a \\ \" and \xHH escapes; 'single quotes' with \' only; a closing quote must
 * be followed by white space. A NUL byte ends the line, as in Redis. Null when quotes are unbalanced.
 */
export function splitArgs(buf: Buffer, start: number, end: number): Buffer[] | null {
  const args: Buffer[] = [];
  const nul = buf.indexOf(0, start);
  const stop = nul !== -1 && nul < end ? nul : end;
  let pos = start;
  for (;;) {
    while (pos < stop && isSpace(buf[pos]!)) pos++;
    if (pos >= stop) return args;
    const arg: number[] = [];
    let quote = 0;
    for (;;) {
      const byte = pos < stop ? buf[pos]! : -1;
      if (quote === DOUBLE_QUOTE) {
        if (byte === -1) return null;
        if (byte === BACKSLASH && pos + 3 < stop && buf[pos + 1] === 120 /* x */ && isHex(buf[pos + 2]!) && isHex(buf[pos + 3]!)) {
          arg.push(parseInt(buf.toString('latin1', pos + 2, pos + 4), 16));
          pos += 3;
        } else if (byte === BACKSLASH && pos + 1 < stop) {
          arg.push(unescape(buf[++pos]!));
        } else if (byte === DOUBLE_QUOTE) {
          if (pos + 1 < stop && !isSpace(buf[pos + 1]!)) return null;
          pos++;
          break;
        } else {
          arg.push(byte);
        }
      } else if (quote === SINGLE_QUOTE) {
        if (byte === -1) return null;
        if (byte === BACKSLASH && pos + 1 < stop && buf[pos + 1] === SINGLE_QUOTE) {
          arg.push(SINGLE_QUOTE);
          pos++;
        } else if (byte === SINGLE_QUOTE) {
          if (pos + 1 < stop && !isSpace(buf[pos + 1]!)) return null;
          pos++;
          break;
        } else {
          arg.push(byte);
        }
      } else if (byte === -1 || isSpace(byte)) {
        break;
      } else if (byte === DOUBLE_QUOTE || byte === SINGLE_QUOTE) {
        quote = byte;
      } else {
        arg.push(byte);
      }
      pos++;
    }
    args.push(Buffer.from(arg));
  }
}

function isHex(byte: number): boolean {
  return (byte >= 48 && byte <= 57) || ((byte | 0x20) >= 97 && (byte | 0x20) <= 102);
}

function unescape(byte: number): number {
  switch (byte) {
    case 110: return LF; // \n
    case 114: return CR; // \r
    case 116: return TAB; // \t
    case 98: return 8; // \b
    case 97: return 7; // \a
    default: return byte;
  }
}

function encodeArgs(args: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) parts.push(Buffer.from(`$${arg.length}\r\n`), arg, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}
