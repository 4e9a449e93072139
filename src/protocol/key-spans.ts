// Where each key's answer lies in the replies to a split request's fragments, so that the merged
// reply is sized once and copied once: no buffer per key, no list of parts to concatenate.
import type { FragmentReply } from './codec.js';

/**
 * Keys beyond which a split request or its merge gets per-key tables of its own, so that one huge
 * MGET does not hold them for good; up to it, one table for all clients serves.
 */
export const SHARED_KEYS = 4096;
const NOT_PLACED = -1;

export class KeySpans {
  private readonly fragmentOf: Int32Array;
  private readonly startOf: Int32Array;
  private readonly endOf: Int32Array;
  private keyCount = 0;
  /** The tables every merge of up to SHARED_KEYS keys uses: merges run one at a time. */
  private static readonly shared = new KeySpans(SHARED_KEYS);

  private constructor(capacity: number) {
    this.fragmentOf = new Int32Array(capacity);
    this.startOf = new Int32Array(capacity);
    this.endOf = new Int32Array(capacity);
  }

  /** Tables for `keyCount` keys, none placed; the shared ones are valid until the next merge starts. */
  static forKeys(keyCount: number): KeySpans {
    const spans = keyCount <= SHARED_KEYS ? KeySpans.shared : new KeySpans(keyCount);
    spans.keyCount = keyCount;
    spans.fragmentOf.fill(NOT_PLACED, 0, keyCount);
    return spans;
  }

  /** Key `key` is answered by bytes [start, end) of the reply of fragment number `fragment`. */
  place(key: number, fragment: number, start: number, end: number): void {
    this.fragmentOf[key] = fragment;
    this.startOf[key] = start;
    this.endOf[key] = end;
  }

  /** `head`, the answer of every placed key in key order, then `tail`. */
  join(fragments: readonly FragmentReply[], head: string, tail: Buffer | null): Buffer {
    let size = head.length + (tail === null ? 0 : tail.length);
    for (let k = 0; k < this.keyCount; k++) if (this.fragmentOf[k] !== NOT_PLACED) size += this.endOf[k]! - this.startOf[k]!;
    const out = Buffer.allocUnsafe(size);
    let pos = out.write(head, 0, 'latin1');
    for (let k = 0; k < this.keyCount; k++) {
      const fragment = this.fragmentOf[k]!;
      if (fragment !== NOT_PLACED) pos += fragments[fragment]!.reply!.copy(out, pos, this.startOf[k], this.endOf[k]);
    }
    if (tail !== null) tail.copy(out, pos);
    return out;
  }
}
