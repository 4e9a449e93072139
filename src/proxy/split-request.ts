// Forwarding a request whose keys live on several servers: one fragment per server, and a parent
// that the client waits on, completed with the merge of the fragments' replies.
import type { ClientConnection } from './client-connection.js';
import type { Pool } from './pool.js';
import { Request } from './request.js';
import type { MergeReplies } from '../protocol/codec.js';
import { SHARED_KEYS } from '../protocol/key-spans.js';

/** Holds the server index of each key while one request is dispatched: one array for all clients. */
const serverOfKeyScratch = new Int32Array(SHARED_KEYS);

/** An array for the server of each of `keyCount` keys; the shared one is valid until the next request is dispatched. */
export function serverOfKeyArray(keyCount: number): Int32Array {
  return keyCount <= SHARED_KEYS ? serverOfKeyScratch : new Int32Array(keyCount);
}

/**
 * `serverOfKey[k]` is the server index of key k. `encodeFragment` builds the request for the
 * keys at the given positions (in key order); the parent's reply is `merge` of the fragments'.
 */
export function forwardSplit(
  client: ClientConnection,
  pool: Pool,
  data: Buffer,
  serverOfKey: Int32Array,
  keyCount: number,
  encodeFragment: (positions: readonly number[]) => Buffer,
  merge: MergeReplies,
): void {
  const positionsByServer = new Map<number, number[]>();
  for (let k = 0; k < keyCount; k++) {
    const positions = positionsByServer.get(serverOfKey[k]!);
    if (positions === undefined) positionsByServer.set(serverOfKey[k]!, [k]);
    else positions.push(k);
  }
  const parent = new Request(client, data);
  const fragments: Request[] = [];
  const targets: number[] = [];
  for (const [serverIndex, positions] of positionsByServer) {
    const fragment = new Request(null, encodeFragment(positions));
    fragment.keyPositions = positions;
    fragments.push(fragment);
    targets.push(serverIndex);
  }
  parent.splitInto(fragments, merge, keyCount);
  client.enqueue(parent);
  pool.stats.fragments += fragments.length;
  for (let i = 0; i < fragments.length; i++) pool.servers[targets[i]!]!.connection(client.id, client.resp3).send(fragments[i]!);
}
