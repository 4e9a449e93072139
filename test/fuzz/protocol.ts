// What the fuzzer needs from a protocol: valid messages to start from, its own mutators, and an
// oracle (a strict reader of its messages, honest workloads with their expected replies, and the
// answers a fake server gives): resp.ts and memcache.ts.
import type { Mutator } from './mutators.js';
import type { Prng } from './prng.js';

/** Returned by a strict reader when the message is not complete yet. */
export const INCOMPLETE = -1;
/** Returned by a strict reader when the bytes are not a valid message. */
export const INVALID = -2;

/** Position after the CRLF ending the line at `pos`; INVALID on a bare CR or LF (both text protocols want CRLF). */
export function lineEnd(buf: Buffer, pos: number): number {
  for (let i = pos; i < buf.length; i++) {
    const byte = buf[i]!;
    if (byte === 0x0a) return INVALID;
    if (byte !== 0x0d) continue;
    if (i + 1 >= buf.length) return INCOMPLETE;
    return buf[i + 1] === 0x0a ? i + 2 : INVALID;
  }
  return INCOMPLETE;
}

/** Finds where complete messages end; on INCOMPLETE, `need` is how many bytes from `start` to wait for. */
export interface StrictReader {
  need: number;
  end(buf: Buffer, start: number): number;
}

/** One honest request's expected reply. */
export interface Expected {
  /** The request, readable, for findings. */
  readonly request: string;
  /** Carried by this request's keys and values and by no other request's. */
  readonly token: string;
  readonly reply: Buffer;
  /**
   * Other replies that are right too: when one of `dependsOn` got no correct reply (a failed write
   * may or may not have been done), or always when there is no `dependsOn` (a fault may have moved
   * the key to another shard).
   */
  readonly fallback?: (reply: Buffer) => boolean;
  readonly dependsOn?: readonly Expected[];
  /** Set by the checker: the reply was exactly `reply`. */
  correct?: boolean;
}

/** A pipelined batch of honest requests and their expected replies, in order. */
export interface Batch {
  readonly bytes: Buffer;
  readonly expected: Expected[];
  /** A slow reader: how long the client reads nothing after sending the batch. */
  readonly readPauseMs?: number;
}

export interface Workload {
  /** A batch whose requests' keys and values each carry a token from `token()`. */
  batch(rng: Prng, token: () => string): Batch;
}

export interface FuzzProtocol {
  readonly name: string;
  readonly requestCorpus: readonly Buffer[];
  readonly requestMutators: readonly Mutator[];
  readonly replyMutators: readonly Mutator[];
  /** A new strict reader of replies (server to client). */
  replyReader(): StrictReader;
  /** A new strict reader of requests (client to server). */
  requestReader(): StrictReader;
  isError(reply: Buffer): boolean;
  /** The fake server's deterministic answer to an honest request (bytes of one complete request). */
  fakeAnswer(request: Buffer): Buffer;
}
