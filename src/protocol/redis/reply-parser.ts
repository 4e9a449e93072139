// Streaming parser for replies from Redis servers: finds where each complete reply ends.
// Replies are forwarded as the raw bytes that came; only their boundaries are parsed. An
// incomplete reply is resumed where it stopped, so a large reply costs time linear in its size,
// and its state (elements still to come, bulk bytes still to come) does not depend on keeping
// the bytes already examined: an oversized reply can be scanned while its bytes are dropped.
import { CR, INCOMPLETE, INVALID, LF, readNumberLine } from './resp.js';
import { REPLY_INCOMPLETE, REPLY_INVALID, type ReplyScanner as Scanner } from '../codec.js';
import { endsWithCrlf } from '../crlf.js';

export { REPLY_INCOMPLETE, REPLY_INVALID };

/** One stream's scan of its current reply (merge.ts also uses one on complete buffers). */
export class ReplyScanner implements Scanner {
  /** Bytes of the current reply examined so far; after a complete scan, the reply's length. */
  examined = 0;
  /** When incomplete: where the bytes not examined yet begin, to pass to `resume`. */
  resumeAt = 0;
  private readonly number = { value: 0 };
  /** Elements of the current reply not complete yet; 0 when no reply is under way. */
  private pending = 0;
  /** Bytes of a bulk string (data and CRLF) still to come. */
  private bulkLeft = 0;
  /** True inside a simple line (+, -, :, ...) whose CRLF has not come. */
  private inLine = false;

  /** True when the last scan or resume found the reply incomplete. */
  get inProgress(): boolean {
    return this.pending > 0;
  }

  /**
   * Returns the position just after the complete reply starting at `start`,
   * REPLY_INCOMPLETE (see `resumeAt`) or REPLY_INVALID.
   */
  scan(buf: Buffer, start: number): number {
    this.pending = 1;
    this.bulkLeft = 0;
    this.inLine = false;
    this.examined = 0;
    return this.run(buf, start);
  }

  /** Continues the incomplete reply; `pos` is where its bytes not examined yet begin in `buf`. */
  resume(buf: Buffer, pos: number): number {
    return this.run(buf, pos);
  }

  private run(buf: Buffer, from: number): number {
    const length = buf.length;
    let pos = from;
    let pending = this.pending;
    if (this.bulkLeft > 0) {
      if (length - pos < this.bulkLeft) {
        this.bulkLeft -= length - pos;
        return this.suspend(pending, from, length);
      }
      pos += this.bulkLeft;
      this.bulkLeft = 0;
      if (!endsWithCrlf(buf, from, pos)) return this.invalid();
      pending--;
    } else if (this.inLine) {
      const next = simpleLineEnd(buf, pos);
      if (next === REPLY_INVALID) return this.invalid();
      if (next === REPLY_INCOMPLETE) return this.suspend(pending, from, buf[length - 1] === CR ? length - 1 : length);
      this.inLine = false;
      pos = next;
      pending--;
    }
    while (pending > 0) {
      if (pos >= length) return this.suspend(pending, from, pos);
      const type = buf[pos]!;
      switch (type) {
        case 43: // + simple string
        case 45: // - error
        case 44: // , double
        case 40: { // ( big number
          // Lines of any length: resumed where the scan stopped.
          const next = simpleLineEnd(buf, pos + 1);
          if (next === REPLY_INVALID) return this.invalid();
          if (next === REPLY_INCOMPLETE) {
            this.inLine = true;
            return this.suspend(pending, from, buf[length - 1] === CR ? length - 1 : length);
          }
          pos = next;
          pending--;
          break;
        }
        case 58: { // : integer
          const next = readNumberLine(buf, pos + 1, this.number);
          if (next === INCOMPLETE) return this.suspend(pending, from, pos);
          if (next === INVALID) return this.invalid();
          pos = next;
          pending--;
          break;
        }
        case 95: // _ null (RESP3)
        case 35: { // # boolean (RESP3)
          const end = type === 95 ? pos + 3 : pos + 4;
          if (end > length) return this.suspend(pending, from, pos);
          if ((type === 35 && buf[pos + 1] !== 116 /* t */ && buf[pos + 1] !== 102 /* f */) || buf[end - 2] !== CR || buf[end - 1] !== LF) {
            return this.invalid();
          }
          pos = end;
          pending--;
          break;
        }
        case 36: // $ bulk string
        case 61: // = verbatim string
        case 33: { // ! bulk error
          const dataStart = readNumberLine(buf, pos + 1, this.number);
          if (dataStart === INCOMPLETE) return this.suspend(pending, from, pos);
          if (dataStart === INVALID || this.number.value < -1) return this.invalid();
          if (this.number.value === -1) {
            pos = dataStart;
            pending--;
            break;
          }
          const next = dataStart + this.number.value + 2;
          if (next > length) {
            this.bulkLeft = next - length;
            return this.suspend(pending, from, length);
          }
          if (buf[next - 2] !== CR || buf[next - 1] !== LF) return this.invalid();
          pos = next;
          pending--;
          break;
        }
        case 42: // * array
        case 126: // ~ set
        case 62: // > push
        case 37: // % map
        case 124: { // | attribute (followed by the reply it describes)
          const next = readNumberLine(buf, pos + 1, this.number);
          if (next === INCOMPLETE) return this.suspend(pending, from, pos);
          if (next === INVALID || this.number.value < -1) return this.invalid();
          const count = this.number.value;
          pending--;
          if (count > 0) pending += type === 37 || type === 124 ? count * 2 : count;
          if (type === 124) pending++;
          pos = next;
          break;
        }
        default:
          return this.invalid();
      }
    }
    this.pending = 0;
    this.examined += pos - from;
    return pos;
  }

  private suspend(pending: number, from: number, resumeAt: number): number {
    this.pending = pending;
    this.examined += resumeAt - from;
    this.resumeAt = resumeAt;
    return REPLY_INCOMPLETE;
  }

  private invalid(): number {
    this.pending = 0;
    return REPLY_INVALID;
  }
}

/**
 * The position after the CRLF that ends the simple line whose text starts at `pos`,
 * REPLY_INCOMPLETE, or REPLY_INVALID for a CR or LF inside it (RESP lines hold neither).
 */
function simpleLineEnd(buf: Buffer, pos: number): number {
  const cr = buf.indexOf(CR, pos);
  const lf = buf.indexOf(LF, pos);
  if (cr === -1) return lf === -1 ? REPLY_INCOMPLETE : REPLY_INVALID;
  if (lf !== -1 && lf < cr) return REPLY_INVALID;
  if (cr + 1 >= buf.length) return REPLY_INCOMPLETE;
  return lf === cr + 1 ? cr + 2 : REPLY_INVALID;
}
