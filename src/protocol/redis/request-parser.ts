// Streaming parser for RESP requests (arrays of bulk strings) as clients send them.
// It reports argument positions inside the received buffer: nothing is copied or decoded.
import { CR, INCOMPLETE, INVALID, LF, readNumberLine } from './resp.js';
import { clientText } from '../../log/client-text.js';

export const enum ParseStatus {
  Complete,
  Incomplete,
  Invalid,
}

/** Largest bulk argument accepted; larger announcements are refused before any byte is buffered. */
export const MAX_BULK_LENGTH = 64 * 1024 * 1024;
/** Most arguments in one request (Redis allows 1M for unauthenticated clients). */
export const MAX_ARGUMENTS = 1024 * 1024;

/** Reused between requests: the parse of the last request. */
export class ParsedRequest {
  argc = 0;
  argStart = new Int32Array(16);
  argEnd = new Int32Array(16);
  /** Position just after the request, when complete. */
  end = 0;
  /** When incomplete: how many bytes, counted from the request start, must be buffered before parsing again. */
  need = 0;
  /** When invalid: Redis-style protocol error text. */
  error = '';

  private readonly number = { value: 0 };

  /** Parses the request that starts at `start`. */
  parse(buf: Buffer, start: number): ParseStatus {
    const length = buf.length;
    if (buf[start] !== 42 /* * */) {
      return this.invalid(buf[start] === CR || buf[start] === LF
        ? 'Protocol error: empty line, expected a RESP array'
        : `Protocol error: expected '*', got '${clientText(buf, start, start + 1)}' (inline commands are not supported, send RESP arrays)`);
    }
    let pos = readNumberLine(buf, start + 1, this.number);
    if (pos === INCOMPLETE) return this.incomplete(length - start + 1);
    const argc = this.number.value;
    if (pos === INVALID || argc <= 0 || argc > MAX_ARGUMENTS) return this.invalid('Protocol error: invalid multibulk length');
    this.reserve(argc);
    for (let i = 0; i < argc; i++) {
      if (pos >= length) return this.incomplete(pos - start + 1);
      if (buf[pos] !== 36 /* $ */) return this.invalid(`Protocol error: expected '$', got '${clientText(buf, pos, pos + 1)}'`);
      const dataStart = readNumberLine(buf, pos + 1, this.number);
      if (dataStart === INCOMPLETE) return this.incomplete(length - start + 1);
      const bulkLength = this.number.value;
      if (dataStart === INVALID || bulkLength < 0 || bulkLength > MAX_BULK_LENGTH) {
        return this.invalid('Protocol error: invalid bulk length');
      }
      const dataEnd = dataStart + bulkLength;
      if (dataEnd + 2 > length) return this.incomplete(dataEnd + 2 - start);
      if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) return this.invalid('Protocol error: bulk length does not match the data');
      this.argStart[i] = dataStart;
      this.argEnd[i] = dataEnd;
      pos = dataEnd + 2;
    }
    this.argc = argc;
    this.end = pos;
    return ParseStatus.Complete;
  }

  private reserve(argc: number): void {
    if (this.argStart.length >= argc) return;
    let size = this.argStart.length;
    while (size < argc) size *= 2;
    this.argStart = new Int32Array(size);
    this.argEnd = new Int32Array(size);
  }

  private incomplete(need: number): ParseStatus {
    this.need = need;
    return ParseStatus.Incomplete;
  }

  private invalid(message: string): ParseStatus {
    this.error = message;
    return ParseStatus.Invalid;
  }
}
