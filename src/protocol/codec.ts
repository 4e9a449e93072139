// What the protocol-neutral core (server connections, requests) needs from a wire protocol.
// Each protocol under src/protocol/<name>/ provides one Codec; nothing above this seam parses bytes.

/** Returned by ReplyScanner.scan/resume when the reply is not complete yet (see `resumeAt`). */
export const REPLY_INCOMPLETE = -1;
/** Returned by ReplyScanner.scan/resume when the bytes are not a reply of the protocol. */
export const REPLY_INVALID = -2;

/**
 * Finds where each complete reply from a server ends; replies are forwarded as the raw bytes that
 * came. An incomplete reply is resumed where it stopped, so a large reply costs time linear in its
 * size, and the scan needs only the bytes from `resumeAt` on (an oversized reply can be dropped
 * while it is scanned).
 */
export interface ReplyScanner {
  /** Bytes of the current reply examined so far; after a complete scan, the reply's length. */
  readonly examined: number;
  /** When incomplete: where the bytes not examined yet begin, to pass to `resume`. */
  readonly resumeAt: number;
  /** True when the last scan or resume found the reply incomplete. */
  readonly inProgress: boolean;
  /** The position just after the complete reply starting at `start`, REPLY_INCOMPLETE or REPLY_INVALID. */
  scan(buf: Buffer, start: number): number;
  /** Continues the incomplete reply; `pos` is where its bytes not examined yet begin in `buf`. */
  resume(buf: Buffer, pos: number): number;
}

/** A fragment of a split request: what it sent, its reply, and the positions of its keys among the parent's. */
export interface FragmentReply {
  readonly data: Buffer;
  readonly reply: Buffer | null;
  readonly keyPositions: number[] | null;
}

/** Merges the replies of a request split across servers into the one reply the client expects. */
export type MergeReplies = (fragments: readonly FragmentReply[], keyCount: number) => Buffer;

/** Pool options a protocol's connection set-up depends on. */
export interface SetupOptions {
  readonly redisAuth: string | null;
  readonly redisDb: number;
  /** Redis: the connection serves clients that said HELLO 3, so it says HELLO 3 to the server too. */
  readonly resp3: boolean;
}

export interface Codec {
  /** A scanner for one server connection's reply stream. */
  createReplyScanner(): ReplyScanner;
  /** Requests written first on every new server connection (Redis: AUTH, then SELECT). */
  setupRequests(options: SetupOptions): Buffer[];
  /** True when a server's reply is an error (a refused set-up request is logged). */
  isErrorReply(reply: Buffer): boolean;
  /**
   * True when the reply in buf[start, end) says the server is a replica that refuses writes
   * (Redis `-READONLY`, after a failover made the old primary a replica).
   */
  isReplicaRefusal(buf: Buffer, start: number, end: number): boolean;
  /** The reply a client gets when its request's server failed (`reason`: "Connection refused"). */
  serverErrorReply(reason: string): Buffer;
  /** A cheap request every server answers, to check that it works and measure its latency. */
  readonly probeRequest: Buffer;
}
