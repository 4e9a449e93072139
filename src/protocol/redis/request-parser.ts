// Streaming parser for RESP requests (arrays of bulk strings) as clients send them.
// It reports argument positions inside the received buffer: nothing is copied or decoded.
// An incomplete request is resumed where it stopped, so its cost is linear in the bytes received.
import { CR, INCOMPLETE, INVALID, LF, readNumberLine } from './resp.js';
import { clientText } from '../../log/client-text.js';

export const enum ParseStatus {
  Complete,
  Incomplete,
  Invalid,
  /** The request would be larger than the parser's `maxRequestBytes`. */
  TooLarge,
}

/** Largest bulk argument accepted; larger announcements are refused before any byte is buffered. */
export const MAX_BULK_LENGTH = 64 * 1024 * 1024;
/** Most arguments in one request (Redis allows 1M for unauthenticated clients). */
export const MAX_ARGUMENTS = 1024 * 1024;
/** Argument slots kept between requests; a request with more gets its own, dropped with the next request. */
const KEPT_ARGUMENT_SLOTS = 4096;

/**
 * One client's parse of its current request. An incomplete request is resumed where it stopped:
 * the next call must pass the same request's bytes (followed by more) starting at `start`, in
 * the same buffer or another one; the bytes already examined are not read again.
 */
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
  // Where an incomplete request stopped: its argument count (0 when no request is under way), the
  // arguments complete, and, counted from the request start, the next argument's "$" or, when
  // its length is known (`pendingLength` >= 0), its first data byte.
  private expected = 0;
  private argsDone = 0;
  private resumeOffset = 0;
  private pendingLength = -1;
  private base = 0;

  /** `maxRequestBytes`: requests larger than this are refused with TooLarge before they are buffered. */
  constructor(private readonly maxRequestBytes = Number.MAX_SAFE_INTEGER) {}

  /** Parses the request that starts at `start`, or resumes it when the last call found it incomplete. */
  parse(buf: Buffer, start: number): ParseStatus {
    if (this.expected !== 0) return this.resume(buf, start);
    if (buf[start] !== 42 /* * */) {
      return this.invalid(buf[start] === CR || buf[start] === LF
        ? 'Protocol error: empty line, expected a RESP array'
        : `Protocol error: expected '*', got '${clientText(buf, start, start + 1)}' (inline commands are not supported, send RESP arrays)`);
    }
    const pos = readNumberLine(buf, start + 1, this.number);
    if (pos === INCOMPLETE) return this.incomplete(buf.length - start + 1);
    const argc = this.number.value;
    if (pos === INVALID || argc <= 0 || argc > MAX_ARGUMENTS) return this.invalid('Protocol error: invalid multibulk length');
    this.reserve(argc);
    return this.parseArguments(buf, start, argc, 0, pos);
  }

  /** Parses arguments `first`.. of the request at `start`, the first one's "$" being at `pos`. */
  private parseArguments(buf: Buffer, start: number, argc: number, first: number, pos: number): ParseStatus {
    const length = buf.length;
    for (let i = first; i < argc; i++) {
      if (pos >= length) return this.suspend(start, argc, i, pos, -1, pos - start + 1);
      if (buf[pos] !== 36 /* $ */) return this.invalid(`Protocol error: expected '$', got '${clientText(buf, pos, pos + 1)}'`);
      const dataStart = readNumberLine(buf, pos + 1, this.number);
      if (dataStart === INCOMPLETE) return this.suspend(start, argc, i, pos, -1, length - start + 1);
      const bulkLength = this.number.value;
      if (dataStart === INVALID || bulkLength < 0 || bulkLength > MAX_BULK_LENGTH) {
        return this.invalid('Protocol error: invalid bulk length');
      }
      const dataEnd = dataStart + bulkLength;
      if (dataEnd + 2 > length) return this.suspend(start, argc, i, dataStart, bulkLength, dataEnd + 2 - start);
      if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) return this.invalid('Protocol error: bulk length does not match the data');
      this.argStart[i] = dataStart;
      this.argEnd[i] = dataEnd;
      pos = dataEnd + 2;
    }
    this.expected = 0;
    this.argc = argc;
    this.end = pos;
    return ParseStatus.Complete;
  }

  /** Continues the incomplete request, now starting at `start` (its bytes may have moved). */
  private resume(buf: Buffer, start: number): ParseStatus {
    const moved = start - this.base;
    if (moved !== 0) {
      for (let i = 0; i < this.argsDone; i++) {
        this.argStart[i] += moved;
        this.argEnd[i] += moved;
      }
    }
    const argc = this.expected;
    let first = this.argsDone;
    let pos = start + this.resumeOffset;
    const bulkLength = this.pendingLength;
    if (bulkLength >= 0) {
      const dataEnd = pos + bulkLength;
      if (dataEnd + 2 > buf.length) return this.suspend(start, argc, first, pos, bulkLength, dataEnd + 2 - start);
      if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) return this.invalid('Protocol error: bulk length does not match the data');
      this.argStart[first] = pos;
      this.argEnd[first] = dataEnd;
      pos = dataEnd + 2;
      first++;
    }
    return this.parseArguments(buf, start, argc, first, pos);
  }

  /** Keeps where the request stopped; `need` counts from the request start. */
  private suspend(start: number, argc: number, argsDone: number, pos: number, pendingLength: number, need: number): ParseStatus {
    if (need > this.maxRequestBytes) {
      this.expected = 0;
      this.need = need;
      return ParseStatus.TooLarge;
    }
    this.expected = argc;
    this.argsDone = argsDone;
    this.resumeOffset = pos - start;
    this.pendingLength = pendingLength;
    this.base = start;
    return this.incomplete(need);
  }

  /** Slots for `argc` arguments; after a request with very many, the next one gets small arrays again. */
  private reserve(argc: number): void {
    const slots = this.argStart.length;
    if (slots >= argc && (slots <= KEPT_ARGUMENT_SLOTS || argc > KEPT_ARGUMENT_SLOTS)) return;
    let size = 16;
    while (size < argc) size *= 2;
    this.argStart = new Int32Array(size);
    this.argEnd = new Int32Array(size);
  }

  private incomplete(need: number): ParseStatus {
    this.need = need;
    return ParseStatus.Incomplete;
  }

  private invalid(message: string): ParseStatus {
    this.expected = 0;
    this.error = message;
    return ParseStatus.Invalid;
  }
}
