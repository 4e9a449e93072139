// A client connection: reads requests, keeps them in arrival order, and writes each reply when
// every earlier reply has been written, so pipelined replies keep request order whatever order
// the servers answer in.
import type { Socket } from 'node:net';
import { Request, type RequestOwner } from './request.js';
import type { RedisTransaction } from './redis-transaction.js';
import { Fifo } from '../util/fifo.js';
import { InputBuffer } from '../util/input-buffer.js';
import { scheduleFlush, type Flushable } from '../util/flush-scheduler.js';
import { connectionClosed, connectionOpened, type PoolStats } from '../stats/counters.js';
import { logDebug, logInfo } from '../log/logger.js';
import type { ServedClient } from './listener.js';

/** Parses and dispatches the requests found in the bytes a client sent (one per protocol and client). */
export interface RequestHandler {
  /**
   * Handles the requests in buf starting at `start`; returns the position of the first byte not
   * consumed (an incomplete request), and sets `need` to the bytes it needs from there.
   */
  handle(client: ClientConnection, buf: Buffer, start: number): number;
  /** When `handle` returned with an incomplete request: bytes to buffer before calling again. */
  readonly need: number;
  /** Largest request accepted (the handler refuses larger ones): the input never grows much beyond it. */
  readonly maxRequestBytes: number;
  /** The reply that tells a client its bytes broke the protocol (`message` from this handler's parser). */
  protocolErrorReply(message: string): Buffer;
}

/** Reply bytes handed to the socket and not yet taken by a slow client, beyond which replies wait. */
const MAX_UNWRITTEN_BYTES = 4 * 1024 * 1024;
/** Requests of one client waiting for their reply, beyond which the proxy reads no more from it. */
const MAX_PENDING_REQUESTS = 1024;

let nextClientId = 1;

/** The connection a client socket belongs to: the socket's listeners are shared by every client, not closures of each. */
const CONNECTION = Symbol('clientConnection');
type ClientSocket = Socket & { [CONNECTION]: ClientConnection };

export class ClientConnection implements Flushable, RequestOwner {
  flushScheduled = false;
  readonly id = nextClientId++;
  authenticated = false;
  /** Set once the client said HELLO 3: its requests go to server connections that speak RESP3. */
  resp3 = false;
  /** A database other than the pool's that the client SELECTed (-1: none): its commands are refused meanwhile. */
  foreignDb = -1;
  name: string | null = null;
  /** The transaction (WATCH/MULTI) this client is in, if any. */
  transaction: RedisTransaction | null = null;
  /** Set once the client must not send more: QUIT, a protocol error, or its EOF. */
  private closing = false;
  private closed = false;
  private paused = false;
  /** Set at shutdown: nothing more is read from the socket, the input already read is still served. */
  private draining = false;
  /** Set at the client's EOF (it may still wait for the replies to what it sent). */
  private inputEnded = false;
  private readonly pending = new Fifo<Request>();
  /** Requests that may wait for replies before reading stops: 1 while the next must wait for all earlier ones. */
  private pendingLimit = MAX_PENDING_REQUESTS;
  /** Bytes received and not handled yet: an incomplete request, or requests read while paused. */
  private readonly input: InputBuffer;
  private need = 0;

  /** `openClients`: the set of open clients it belongs to (its listener's), which it leaves once closed. */
  constructor(
    private readonly socket: Socket,
    private readonly handler: RequestHandler,
    private readonly poolStats: PoolStats,
    private readonly openClients: Set<ServedClient>,
  ) {
    connectionOpened();
    poolStats.client_connections++;
    openClients.add(this);
    this.input = new InputBuffer(handler.maxRequestBytes);
    socket.setNoDelay(true);
    (socket as ClientSocket)[CONNECTION] = this;
    socket.on('data', ClientConnection.onSocketData);
    socket.on('end', ClientConnection.onSocketEnd);
    socket.on('error', ClientConnection.onSocketError);
    socket.on('close', ClientConnection.onSocketClose);
    socket.on('drain', ClientConnection.onSocketDrain);
  }

  private static onSocketData(this: ClientSocket, chunk: Buffer): void {
    this[CONNECTION].onData(chunk);
  }

  private static onSocketEnd(this: ClientSocket): void {
    this[CONNECTION].onEnd();
  }

  private static onSocketError(this: ClientSocket, err: Error): void {
    this[CONNECTION].onError(err);
  }

  private static onSocketClose(this: ClientSocket): void {
    this[CONNECTION].onClose();
  }

  private static onSocketDrain(this: ClientSocket): void {
    this[CONNECTION].flush();
  }

  get remoteAddress(): string {
    return `${this.socket.remoteAddress ?? 'unix'}:${this.socket.remotePort ?? 0}`;
  }

  /** Adds a request to the reply order; call before forwarding it. */
  enqueue(request: Request): void {
    this.pending.push(request);
  }

  /** Adds a request answered by the proxy itself. */
  reply(reply: Buffer, closeAfterReply = false): void {
    const request = new Request(this, reply);
    request.closeAfterReply = closeAfterReply;
    this.pending.push(request);
    request.complete(reply);
    if (closeAfterReply) this.stopReading();
  }

  /** Requests waiting for their reply (or to be written). */
  get pendingCount(): number {
    return this.pending.length;
  }

  /**
   * Reads no further request until every earlier one is answered: the requests around a
   * transaction go over different server connections, and must still run in the client's order.
   */
  waitUntilAnswered(): void {
    this.pendingLimit = 1;
  }

  /** Replies with an error and closes once it is written (malformed protocol). */
  protocolError(message: string): void {
    this.poolStats.client_err++;
    logInfo(`client ${this.remoteAddress}: ${message}; closing`);
    this.reply(this.handler.protocolErrorReply(message), true);
  }

  get isClosing(): boolean {
    return this.closing;
  }

  requestDone(request: Request): void {
    if (!this.closed && request === this.pending.peek()) scheduleFlush(this);
  }

  flush(): void {
    if (this.closed) return;
    let closeNow = false;
    // A client that does not read gets no more than MAX_UNWRITTEN_BYTES queued on its socket. The
    // kernel often takes a whole batch at once, and then no 'drain' follows: write the next batch.
    while (!closeNow && this.socket.writableLength < MAX_UNWRITTEN_BYTES && this.pending.peek()?.done === true) {
      closeNow = this.writeReadyReplies(MAX_UNWRITTEN_BYTES - this.socket.writableLength);
    }
    if (closeNow || (this.closing && this.pending.length === 0)) {
      this.closed = true;
      this.socket.end();
      return;
    }
    this.resumeIfRoom();
  }

  /** Writes the finished replies at the head, about `room` bytes; true when one of them closes the connection. */
  private writeReadyReplies(room: number): boolean {
    const replies: Buffer[] = [];
    let bytes = 0;
    let closeNow = false;
    for (let head = this.pending.peek(); head !== undefined && head.done && bytes < room; head = this.pending.peek()) {
      this.pending.shift();
      replies.push(head.reply!);
      bytes += head.reply!.length;
      if (head.closeAfterReply) {
        closeNow = true;
        break;
      }
    }
    this.socket.write(replies.length === 1 ? replies[0]! : Buffer.concat(replies, bytes));
    if (this.pending.length === 0) this.pendingLimit = MAX_PENDING_REQUESTS;
    return closeNow;
  }

  /** True while the client may have more requests read and forwarded. */
  get hasRoom(): boolean {
    return this.pending.length < this.pendingLimit;
  }

  /** Shutdown: reads nothing more; the requests already read still get their replies. */
  drain(): void {
    this.draining = true;
    this.pause();
  }

  /** True once every request read has had its reply written. */
  get drained(): boolean {
    return this.pending.length === 0;
  }

  /**
   * Writes what is ready and closes (shutdown). Whatever the client still sends is read and
   * dropped: closing with unread input would reset the connection and could destroy replies the
   * client has not read yet.
   */
  close(): void {
    this.flush();
    if (!this.closed) this.socket.end();
    this.closed = true;
    this.stopReading();
    this.socket.resume();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    if (this.input.length === 0) {
      this.processInput(chunk, false);
      return;
    }
    this.input.append(chunk);
    if (this.input.length >= this.need) this.processInput(this.input.view(), true);
  }

  /**
   * Hands bytes to the handler, which stops at an incomplete request or when the client has no
   * room. A chunk that arrives with nothing held is handled in place; only its rest is kept.
   */
  private processInput(buf: Buffer, held: boolean): void {
    this.need = 0;
    const stop = this.handler.handle(this, buf, 0);
    if (this.closing) return;
    if (held) this.input.consume(stop);
    else if (stop < buf.length) this.input.keep(buf.subarray(stop));
    if (this.input.length > 0 && this.hasRoom) this.need = this.handler.need;
    if (!this.hasRoom) this.pause();
  }

  private stopReading(): void {
    this.closing = true;
    this.input.release();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private resumeIfRoom(): void {
    if (!this.paused || this.closed || this.pending.length * 2 >= MAX_PENDING_REQUESTS) return;
    this.paused = false;
    if (!this.draining) this.socket.resume();
    if (this.input.length > 0 && this.input.length >= this.need) this.processInput(this.input.view(), true);
    if (this.inputEnded && !this.paused) this.endInput();
  }

  private onEnd(): void {
    this.poolStats.client_eof++;
    this.inputEnded = true;
    // Requests read but waiting for room are still handled: once reading resumes, then it ends.
    if (!this.paused) this.endInput();
  }

  private endInput(): void {
    if (this.input.length > 0) logDebug(`client ${this.remoteAddress}: discarding an incomplete request at EOF`);
    this.stopReading();
    if (this.pending.length === 0) this.flush();
  }

  private onError(err: Error): void {
    this.poolStats.client_err++;
    logInfo(`client ${this.remoteAddress}: ${err.message}`);
  }

  private onClose(): void {
    this.closed = true;
    this.openClients.delete(this);
    this.input.release();
    this.transaction?.clientClosed();
    this.poolStats.client_connections--;
    connectionClosed();
  }
}
