// One client request on its way through the proxy: its bytes, its reply, and for a request
// split across servers, its fragments and how their replies merge.
import type { MergeReplies } from '../protocol/codec.js';

/** Who receives a finished request: a client connection, or a server connection's own set-up. */
export interface RequestOwner {
  requestDone(request: Request): void;
}

export class Request {
  reply: Buffer | null = null;
  done = false;
  /** Set when the reply is an error made by the proxy (not forwarded from a server). */
  failed = false;
  /** When set, the client connection is closed after this request's reply is written. */
  closeAfterReply = false;
  /** Time (ms) after which the server is considered timed out on this request. */
  deadline = 0;
  /** False for a request the server does not answer (memcached `noreply`). */
  expectsReply = true;

  parent: Request | null = null;
  fragments: Request[] | null = null;
  /** For a fragment of a split request: positions of its keys among the parent's keys. */
  keyPositions: number[] | null = null;
  private pendingFragments = 0;
  private merge: MergeReplies | null = null;
  private keyCount = 0;

  constructor(
    public owner: RequestOwner | null,
    /** The bytes sent to the server, as the client sent them when not split. */
    public data: Buffer,
  ) {}

  /** Makes this request the parent of `fragments`, merged with `merge` over `keyCount` keys. */
  splitInto(fragments: Request[], merge: MergeReplies, keyCount: number): void {
    this.fragments = fragments;
    this.pendingFragments = fragments.length;
    this.merge = merge;
    this.keyCount = keyCount;
    for (const fragment of fragments) fragment.parent = this;
  }

  /** Completes the request with a reply (forwarded bytes, a local answer, or an error). */
  complete(reply: Buffer, failed = false): void {
    if (this.done) return;
    this.reply = reply;
    this.failed = failed;
    this.done = true;
    if (this.parent !== null) this.parent.fragmentDone();
    else if (this.owner !== null) this.owner.requestDone(this);
  }

  private fragmentDone(): void {
    if (--this.pendingFragments > 0) return;
    const fragments = this.fragments!;
    const failedFragment = fragments.find((fragment) => fragment.failed);
    if (failedFragment !== undefined) {
      this.complete(failedFragment.reply!, true);
      return;
    }
    this.complete(this.merge!(fragments, this.keyCount));
  }
}
