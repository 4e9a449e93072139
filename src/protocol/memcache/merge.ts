// Merging the replies of a get/gets split across servers: each server answered the value blocks
// of the keys it holds, in the order they were asked, and END; the client gets every block at its
// key's position among all the keys, then one END.
import type { FragmentReply } from '../codec.js';
import { KeySpans } from '../key-spans.js';
import { END, isWord, readValueBlock, startsWith, VALUE, type ValueBlock } from './reply-scanner.js';

const END_LINE = Buffer.from('END\r\n');
const LF = 10;
const SPACE = 32;
const block: ValueBlock = { keyStart: 0, keyEnd: 0, end: 0 };

export function mergeRetrieval(fragments: readonly FragmentReply[], keyCount: number): Buffer {
  const spans = KeySpans.forKeys(keyCount);
  for (let f = 0; f < fragments.length; f++) {
    const reply = fragments[f]!.reply!;
    // An error (SERVER_ERROR ...) from one server is the answer to the whole request.
    if (!startsWith(reply, 0, reply.length, VALUE) && !isWord(reply, 0, reply.length - 2, END)) return reply;
    if (!placeBlocks(reply, fragments[f]!, f, spans)) {
      return Buffer.from('SERVER_ERROR nutcracker: unexpected reply from a server for a split get\r\n');
    }
  }
  return spans.join(fragments, '', END_LINE);
}

/**
 * Puts each value block of one server's reply at the position of the key it answers, found by
 * walking the keys of the fragment's own "get k1 k2 ...\r\n" in order.
 */
function placeBlocks(reply: Buffer, fragment: FragmentReply, fragmentIndex: number, spans: KeySpans): boolean {
  const request = fragment.data;
  const positions = fragment.keyPositions!;
  const keysEnd = request.length - 2;
  let keyStart = request.indexOf(SPACE) + 1;
  let next = 0;
  let pos = 0;
  while (startsWith(reply, pos, reply.length, VALUE)) {
    const lf = reply.indexOf(LF, pos);
    if (lf === -1 || readValueBlock(reply, pos, lf, block) < 0 || block.end > reply.length) return false;
    for (;;) {
      if (next === positions.length) return false;
      const space = request.indexOf(SPACE, keyStart);
      const keyEnd = space === -1 || space > keysEnd ? keysEnd : space;
      const matches = request.compare(reply, block.keyStart, block.keyEnd, keyStart, keyEnd) === 0;
      keyStart = keyEnd + 1;
      if (matches) break;
      next++;
    }
    spans.place(positions[next++]!, fragmentIndex, pos, block.end);
    pos = block.end;
  }
  return reply.length - pos === END_LINE.length && END_LINE.compare(reply, pos) === 0;
}
