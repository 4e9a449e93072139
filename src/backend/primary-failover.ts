// A primary name's failover under cache_mode. The first -READONLY reply says that the address
// the name gave is a replica now. From then on the server's requests wait here: the refused
// ones (a replica did not do them, so sending them again is safe) and the new ones, while the
// name is looked up again every second. Once DNS gives another address and the requests still
// in flight on the old one are answered, the waiting requests go to the new primary: first the
// refused ones, in the order their connection sent them, then the new ones, in the order they
// came, each on the connection its client uses, so that every client's order holds. After
// HOLD_MS without a new address they go where the name still points, and -READONLY replies
// reach the clients until DNS moves the name. Timers are injected.
import type { TimerHandle, Timers } from '../util/clock.js';
import type { ForwardedRequest } from './server-connection.js';

/** Longest wait for DNS to give the new primary after the first -READONLY reply. */
export const HOLD_MS = 5000;
/** Most requests that wait at once; beyond them, a refused request gets its -READONLY reply and a new one goes out. */
export const MAX_HELD = 100_000;
const LOOKUP_EVERY_MS = 1000;

export interface FailoverOwner {
  /** Looks the name up again now (or as soon as lookups may start again). */
  resolveNow(): void;
  /** Sends a request as the requests of `key` (a client id, or a connection slot) are sent now, without waiting. */
  resend(key: number, resp3: boolean, request: ForwardedRequest): void;
  /** True while addresses that left still have requests in flight, whose -READONLY replies may come back. */
  readonly settling: boolean;
  /** A line for the log. */
  report(level: 'notice' | 'warn', message: string): void;
}

interface Held {
  key: number;
  resp3: boolean;
  request: ForwardedRequest;
}

export class PrimaryFailover {
  /** True from the first -READONLY until the requests are sent on: new requests wait. */
  holding = false;
  /** After a wait ran out: refusals reach the clients until the address set changes. */
  private passThrough = false;
  private moved = false;
  private refusedQueue: Held[] = [];
  private newQueue: Held[] = [];
  private nextKey = 0;
  private nextResp3 = false;
  private holdTimer: TimerHandle | undefined;
  private lookupTimer: TimerHandle | undefined;
  private readonly sink = { closed: false, send: (request: ForwardedRequest) => this.hold(request) };

  constructor(private readonly owner: FailoverOwner, private readonly timers: Timers) {}

  /**
   * A request refused with -READONLY on connection slot `slot` of the old primary (`refused`), or
   * answered there after such a refusal (a read the replica did: sent again after the refused
   * write, so that it does not overtake it). True when it waits to be sent again; false when the
   * caller is to give the client its reply.
   */
  replied(slot: number, resp3: boolean, request: ForwardedRequest, address: string, refused: boolean): boolean {
    if (this.passThrough || this.count >= MAX_HELD || (!this.holding && !refused)) return false;
    if (!this.holding) this.startHolding(address);
    this.refusedQueue.push({ key: slot, resp3, request });
    return true;
  }

  /** Where a client's request goes while holding: it waits. */
  sinkFor(clientId: number, resp3: boolean): { readonly closed: boolean; send(request: ForwardedRequest): void } {
    this.nextKey = clientId;
    this.nextResp3 = resp3;
    return this.sink;
  }

  /** The server's addresses changed: the name moved. */
  addressesChanged(): void {
    this.passThrough = false;
    if (!this.holding) return;
    this.moved = true;
    this.releaseIfSettled();
  }

  /** An address that left has no connection left. */
  addressDrained(): void {
    if (this.holding && this.moved) this.releaseIfSettled();
  }

  /** Shutdown: the waiting requests get `reply`. */
  abort(reply: Buffer): void {
    const queued = this.take();
    for (const { request } of queued) request.complete(reply, true);
  }

  private get count(): number {
    return this.refusedQueue.length + this.newQueue.length;
  }

  private hold(request: ForwardedRequest): void {
    if (this.count >= MAX_HELD) {
      this.owner.resend(this.nextKey, this.nextResp3, request);
      return;
    }
    this.newQueue.push({ key: this.nextKey, resp3: this.nextResp3, request });
  }

  private startHolding(address: string): void {
    this.holding = true;
    this.moved = false;
    this.owner.report('notice', `address ${address} answered -READONLY: it is a replica now (a failover); looking the name up ` +
      `again, its requests wait up to ${HOLD_MS} ms for the new primary`);
    this.owner.resolveNow();
    this.lookupTimer = this.timers.setTimeout(() => this.lookAgain(), LOOKUP_EVERY_MS);
    this.holdTimer = this.timers.setTimeout(() => this.holdRanOut(), HOLD_MS);
  }

  private lookAgain(): void {
    this.owner.resolveNow();
    this.lookupTimer = this.timers.setTimeout(() => this.lookAgain(), LOOKUP_EVERY_MS);
  }

  private releaseIfSettled(): void {
    if (this.owner.settling) return;
    const queued = this.take();
    this.owner.report('notice', `the name moved: ${queued.length} request(s) that waited go to the new primary`);
    this.send(queued);
  }

  private holdRanOut(): void {
    this.holdTimer = undefined;
    const queued = this.take();
    this.passThrough = true;
    this.owner.report('warn', `no new primary within ${HOLD_MS} ms of the -READONLY reply: ${queued.length} request(s) that waited ` +
      'go where the name still points, and -READONLY replies reach the clients until DNS moves the name');
    this.send(queued);
  }

  /** Ends the hold and gives its queue: the refused requests first, then the new ones. */
  private take(): Held[] {
    this.holding = false;
    this.moved = false;
    if (this.holdTimer !== undefined) this.timers.clearTimeout(this.holdTimer);
    if (this.lookupTimer !== undefined) this.timers.clearTimeout(this.lookupTimer);
    this.holdTimer = this.lookupTimer = undefined;
    const queued = [...this.refusedQueue, ...this.newQueue];
    this.refusedQueue = [];
    this.newQueue = [];
    return queued;
  }

  private send(queued: readonly Held[]): void {
    for (const { key, resp3, request } of queued) this.owner.resend(key, resp3, request);
  }
}
