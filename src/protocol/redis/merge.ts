// Merging the replies of a request split across servers back into the one reply the client expects.
import { Merge } from './commands.js';
import { REPLY_INCOMPLETE, REPLY_INVALID, ReplyScanner } from './reply-parser.js';
import { INVALID, INCOMPLETE, errorReply, integerReply, OK_REPLY, readNumberLine } from './resp.js';
import type { FragmentReply, MergeReplies } from '../codec.js';
import { KeySpans } from '../key-spans.js';

const scanner = new ReplyScanner();
const number = { value: 0 };

export function mergeReplies(merge: Merge, fragments: readonly FragmentReply[], keyCount: number): Buffer {
  const firstError = fragments.find((fragment) => fragment.reply![0] === 45 /* - */);
  if (firstError !== undefined) return firstError.reply!;
  switch (merge) {
    case Merge.Values:
      return mergeValues(fragments, keyCount);
    case Merge.Sum:
      return mergeSum(fragments);
    case Merge.AllOk:
      return mergeAllOk(fragments);
    default:
      return errorReply('ERR nutcracker: internal error, no merge rule for a split request');
  }
}

const MERGERS: readonly MergeReplies[] = [Merge.None, Merge.Values, Merge.Sum, Merge.AllOk].map(
  (merge) => (fragments: readonly FragmentReply[], keyCount: number) => mergeReplies(merge, fragments, keyCount));

/** The merge function a split request of this kind carries. */
export function mergerFor(merge: Merge): MergeReplies {
  return MERGERS[merge]!;
}

/** MGET: each fragment answered an array for its keys; put every element back at its key's position. */
function mergeValues(fragments: readonly FragmentReply[], keyCount: number): Buffer {
  const spans = KeySpans.forKeys(keyCount);
  for (let f = 0; f < fragments.length; f++) {
    const reply = fragments[f]!.reply!;
    const positions = fragments[f]!.keyPositions!;
    let pos = readArrayHeader(reply, positions.length);
    if (pos < 0) return invalidReply('MGET');
    for (const keyPosition of positions) {
      const end = scanner.scan(reply, pos);
      if (end === REPLY_INCOMPLETE || end === REPLY_INVALID) return invalidReply('MGET');
      spans.place(keyPosition, f, pos, end);
      pos = end;
    }
  }
  return spans.join(fragments, `*${keyCount}\r\n`, null);
}

/** DEL, UNLINK, EXISTS, TOUCH: the integers add up. */
function mergeSum(fragments: readonly FragmentReply[]): Buffer {
  let total = 0;
  for (const fragment of fragments) {
    const reply = fragment.reply!;
    if (reply[0] !== 58 /* : */) return invalidReply('integer');
    const end = readNumberLine(reply, 1, number);
    if (end === INVALID || end === INCOMPLETE) return invalidReply('integer');
    total += number.value;
  }
  return integerReply(total);
}

/** MSET: +OK when every server said +OK, otherwise the first other reply. */
function mergeAllOk(fragments: readonly FragmentReply[]): Buffer {
  const notOk = fragments.find((fragment) => !fragment.reply!.equals(OK_REPLY));
  return notOk === undefined ? OK_REPLY : notOk.reply!;
}

/** Returns the position after "*<expected>\r\n", or -1 when the reply is not such an array. */
function readArrayHeader(reply: Buffer, expected: number): number {
  if (reply[0] !== 42 /* * */) return -1;
  const pos = readNumberLine(reply, 1, number);
  if (pos < 0 || number.value !== expected) return -1;
  return pos;
}

function invalidReply(kind: string): Buffer {
  return errorReply(`ERR nutcracker: unexpected ${kind} reply from a server for a split request`);
}
