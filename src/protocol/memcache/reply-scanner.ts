// Streaming scanner for replies from memcached servers: finds where each complete reply ends.
// A retrieval reply is any number of "VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\n" blocks
// and "END\r\n"; every other reply is one line. Replies are forwarded as the raw bytes that came.
import { REPLY_INCOMPLETE, REPLY_INVALID, type ReplyScanner } from '../codec.js';
import { endsWithCrlf } from '../crlf.js';

/** Longest reply line accepted (a VALUE line holds a 250-byte key and three numbers). */
const MAX_REPLY_LINE = 2048;

const CR = 13;
const LF = 10;
const SPACE = 32;

/** Replies made of one line: the words memcached starts them with ("END" answers a get that found nothing). */
const LINE_REPLIES = ['STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND', 'DELETED', 'TOUCHED', 'END', 'ERROR'].map((word) => Buffer.from(word));
/** One-line replies followed by a text. */
const TEXT_REPLIES = ['VERSION ', 'CLIENT_ERROR ', 'SERVER_ERROR '].map((word) => Buffer.from(word));
export const VALUE = Buffer.from('VALUE ');
export const END = Buffer.from('END');

/** One value block of a retrieval reply, as `readValueBlock` finds it. */
export interface ValueBlock {
  /** Where the key starts and ends in the VALUE line. */
  keyStart: number;
  keyEnd: number;
  /** Position just after the block's data and its CRLF. */
  end: number;
}

export class MemcacheReplyScanner implements ReplyScanner {
  examined = 0;
  resumeAt = 0;
  inProgress = false;
  /** A VALUE block of the current reply was read: only more blocks or END may follow. */
  private afterValue = false;
  /** Bytes of a value block's data and CRLF still to come. */
  private dataLeft = 0;
  private readonly block: ValueBlock = { keyStart: 0, keyEnd: 0, end: 0 };

  scan(buf: Buffer, start: number): number {
    this.examined = 0;
    this.afterValue = false;
    this.dataLeft = 0;
    return this.run(buf, start);
  }

  resume(buf: Buffer, pos: number): number {
    return this.run(buf, pos);
  }

  private run(buf: Buffer, from: number): number {
    let pos = from;
    if (this.dataLeft > 0) {
      const end = pos + this.dataLeft;
      if (end > buf.length) return this.suspendInData(from, end - buf.length, buf.length);
      if (!endsWithCrlf(buf, from, end)) return this.invalid();
      this.dataLeft = 0;
      pos = end;
    }
    for (;;) {
      const lf = buf.indexOf(LF, pos);
      // A line not complete yet is scanned again from its start: lines are short (MAX_REPLY_LINE).
      if (lf === -1) return buf.length - pos > MAX_REPLY_LINE ? this.invalid() : this.suspend(from, pos);
      // A CR inside the line would hide what follows it: only the CRLF may end a line.
      if (lf === pos || buf.indexOf(CR, pos) !== lf - 1 || lf - pos > MAX_REPLY_LINE) return this.invalid();
      if (!startsWith(buf, pos, lf - 1, VALUE)) {
        // After value blocks only END may come.
        const known = this.afterValue ? isWord(buf, pos, lf - 1, END) : isKnownLine(buf, pos, lf - 1);
        return known ? this.complete(from, lf + 1) : this.invalid();
      }
      const end = readValueBlock(buf, pos, lf, this.block);
      if (end === REPLY_INVALID) return this.invalid();
      this.afterValue = true;
      if (end > buf.length) return this.suspendInData(from, end - buf.length, buf.length);
      pos = end;
    }
  }

  private complete(from: number, end: number): number {
    this.inProgress = false;
    this.examined += end - from;
    return end;
  }

  private suspendInData(from: number, dataLeft: number, resumeAt: number): number {
    this.dataLeft = dataLeft;
    return this.suspend(from, resumeAt);
  }

  private suspend(from: number, resumeAt: number): number {
    this.inProgress = true;
    this.examined += resumeAt - from;
    this.resumeAt = resumeAt;
    return REPLY_INCOMPLETE;
  }

  private invalid(): number {
    this.inProgress = false;
    return REPLY_INVALID;
  }
}

/**
 * Reads the value block whose "VALUE <key> <flags> <bytes> [<cas>]" line starts at `start` and
 * ends with the CRLF whose LF is at `lf`. Returns the position after its data and CRLF (beyond
 * buf.length while the data is still coming; then nothing is checked), or REPLY_INVALID.
 */
export function readValueBlock(buf: Buffer, start: number, lf: number, block: ValueBlock): number {
  const lineEnd = lf - 1;
  const keyStart = start + VALUE.length;
  const keyEnd = buf.indexOf(SPACE, keyStart);
  if (keyEnd <= keyStart || keyEnd >= lineEnd) return REPLY_INVALID;
  const flagsEnd = readDigits(buf, keyEnd + 1, lineEnd);
  if (flagsEnd === -1 || buf[flagsEnd] !== SPACE) return REPLY_INVALID;
  const bytesEnd = readDigits(buf, flagsEnd + 1, lineEnd);
  if (bytesEnd === -1) return REPLY_INVALID;
  if (bytesEnd !== lineEnd && (buf[bytesEnd] !== SPACE || readDigits(buf, bytesEnd + 1, lineEnd) !== lineEnd)) return REPLY_INVALID;
  let length = 0;
  for (let i = flagsEnd + 1; i < bytesEnd; i++) length = length * 10 + (buf[i]! - 48);
  const end = lf + 1 + length + 2;
  if (end <= buf.length && (buf[end - 2] !== CR || buf[end - 1] !== LF)) return REPLY_INVALID;
  block.keyStart = keyStart;
  block.keyEnd = keyEnd;
  block.end = end;
  return end;
}

/** Position after the decimal digits at `pos` (at least one, before `limit`), or -1. */
function readDigits(buf: Buffer, pos: number, limit: number): number {
  let i = pos;
  while (i < limit && buf[i]! >= 48 && buf[i]! <= 57) i++;
  return i === pos || i - pos > 20 ? -1 : i;
}

/** A one-line reply: an incr/decr result, or one of memcached's reply words (with its text). */
function isKnownLine(buf: Buffer, start: number, end: number): boolean {
  if (readDigits(buf, start, end) === end) return true;
  for (const word of LINE_REPLIES) if (isWord(buf, start, end, word)) return true;
  for (const word of TEXT_REPLIES) if (startsWith(buf, start, end, word)) return true;
  return false;
}

/** True when buf[start, end) is exactly `word`. */
export function isWord(buf: Buffer, start: number, end: number, word: Buffer): boolean {
  return end - start === word.length && word.compare(buf, start, end) === 0;
}

/** True when buf[start, end) starts with `word`. */
export function startsWith(buf: Buffer, start: number, end: number, word: Buffer): boolean {
  return end - start >= word.length && word.compare(buf, start, start + word.length) === 0;
}
