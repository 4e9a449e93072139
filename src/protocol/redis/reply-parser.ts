// Streaming parser for replies from Redis servers: finds where each complete reply ends.
// Replies are forwarded as the raw bytes that came; only their boundaries are parsed.
import { INCOMPLETE, INVALID, findLineEnd, readNumberLine } from './resp.js';
import { REPLY_INCOMPLETE, REPLY_INVALID } from '../codec.js';

export { REPLY_INCOMPLETE, REPLY_INVALID };

/** Reused between replies: where the last parse stopped. */
export class ReplyScanner {
  /** When incomplete: bytes, counted from the reply start, to buffer before scanning again. */
  need = 0;
  private readonly number = { value: 0 };

  /**
   * Returns the position just after the complete reply starting at `start`,
   * REPLY_INCOMPLETE (see `need`) or REPLY_INVALID.
   */
  scan(buf: Buffer, start: number): number {
    let pos = start;
    let pending = 1;
    while (pending > 0) {
      if (pos >= buf.length) return this.incomplete(buf, start);
      const type = buf[pos]!;
      pending--;
      switch (type) {
        case 43: // + simple string
        case 45: // - error
        case 58: // : integer
        case 95: // _ null (RESP3)
        case 44: // , double
        case 35: // # boolean
        case 40: { // ( big number
          const cr = findLineEnd(buf, pos + 1);
          if (cr === -1) return this.incomplete(buf, start);
          pos = cr + 2;
          break;
        }
        case 36: // $ bulk string
        case 61: // = verbatim string
        case 33: { // ! bulk error
          const dataStart = readNumberLine(buf, pos + 1, this.number);
          if (dataStart === INCOMPLETE) return this.incomplete(buf, start);
          if (dataStart === INVALID || this.number.value < -1) return REPLY_INVALID;
          if (this.number.value === -1) {
            pos = dataStart;
            break;
          }
          const next = dataStart + this.number.value + 2;
          if (next > buf.length) return this.incompleteUntil(next - start);
          pos = next;
          break;
        }
        case 42: // * array
        case 126: // ~ set
        case 62: // > push
        case 37: // % map
        case 124: { // | attribute (followed by the reply it describes)
          const next = readNumberLine(buf, pos + 1, this.number);
          if (next === INCOMPLETE) return this.incomplete(buf, start);
          if (next === INVALID || this.number.value < -1) return REPLY_INVALID;
          const count = this.number.value;
          if (count > 0) pending += type === 37 || type === 124 ? count * 2 : count;
          if (type === 124) pending++;
          pos = next;
          break;
        }
        default:
          return REPLY_INVALID;
      }
    }
    return pos;
  }

  private incomplete(buf: Buffer, start: number): number {
    return this.incompleteUntil(buf.length - start + 1);
  }

  private incompleteUntil(need: number): number {
    this.need = need;
    return REPLY_INCOMPLETE;
  }
}
