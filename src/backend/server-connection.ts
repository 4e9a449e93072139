// One connection to a backend server: writes requests as their raw bytes, batched per event-loop
// turn, keeps them in an in-flight FIFO, and matches each reply it reads to the FIFO head.
import type { Socket } from 'node:net';
import { REPLY_INCOMPLETE, REPLY_INVALID, type Codec, type ReplyScanner } from '../protocol/codec.js';
import { Fifo } from '../util/fifo.js';
import { InputBuffer } from '../util/input-buffer.js';
import { scheduleFlush, type Flushable } from '../util/flush-scheduler.js';
import { isOpenFileLimit } from '../util/errors.js';
import { connectionClosed, connectionOpened, type PoolStats, type ServerStats } from '../stats/counters.js';
import { LOG_ERR, LOG_INFO, LOG_WARN, log, logError } from '../log/logger.js';
import { BurstLog } from '../log/burst-log.js';
import type { ServerConfig } from '../config/types.js';
import type { Connector, Endpoint } from './connector.js';
import type { LatencyEstimator } from './latency-estimator.js';

/** The per-address counters a connection keeps. */
export interface AddressCounters {
  requests: number;
  responses: number;
}

/** What a connection needs from its address and logical server. */
export interface ConnectionContext {
  readonly config: ServerConfig;
  /** Where it connects: an address's IP and port, or a unix socket path. */
  readonly endpoint: Endpoint;
  /** The address as the logs show it (`10.0.0.2:6379`). */
  readonly label: string;
  /** The logical server's counters (twemproxy's). */
  readonly stats: ServerStats;
  readonly addressStats: AddressCounters;
  readonly poolStats: PoolStats;
  readonly poolName: string;
  /** Server timeout in ms, or null for none. */
  readonly timeout: number | null;
  readonly tcpKeepalive: boolean;
  /** Opens the socket: plain or TLS, as the pool says. */
  readonly connector: Connector;
  /** The pool's protocol: how replies are framed and failures are told. */
  readonly codec: Codec;
  /** Largest reply accepted, in bytes: a larger one is scanned and dropped, and its request fails. */
  readonly maxReplyBytes: number;
  /** Takes the round trips this connection times (see latency-estimator.ts for which). */
  readonly latency: LatencyEstimator;
  /** Called once when the connection is gone; `failure` is false only for a deliberate close. */
  connectionClosed(connection: ServerConnection, failure: boolean): void;
  /** Called when a reply arrives: the server works. */
  serverAnswered(): void;
  /** cache_mode on a primary name: where -READONLY replies, and the ones after them, go instead of their request; null otherwise. */
  readonly failoverReplies: FailoverReplies | null;
}

/** Takes the replies of a server that turned replica (a failover) instead of their requests. */
export interface FailoverReplies {
  /**
   * `reply` (a copy) to `request` came from a server that refused a request of `connection`
   * with -READONLY (a replica now): `refused` when it is that refusal, false for a later reply.
   */
  replicaReplied(connection: ServerConnection, request: ForwardedRequest, reply: Buffer, refused: boolean): void;
}

/** What a connection needs of a request it forwards (the proxy's Request is one). */
export interface ForwardedRequest {
  /** The bytes to write. */
  readonly data: Buffer;
  /** Time (ms) after which the server is considered timed out on this request; set by send. */
  deadline: number;
  /** False for a request the server does not answer (memcached `noreply`). */
  readonly expectsReply: boolean;
  /** Gives the request its reply (`failed`: an error made by the proxy). */
  complete(reply: Buffer, failed?: boolean): void;
}

const NO_REPLY = Buffer.alloc(0);

const enum CloseKind {
  Deliberate,
  Eof,
  Error,
  TimedOut,
}

/** At the open file limit every request may try a connection: one line per 10 s burst, not one per request. */
const FILE_LIMIT_LOG_WINDOW_MS = 10000;
const fileLimitLog = new BurstLog(LOG_ERR, 'server connections that failed for the open file limit', FILE_LIMIT_LOG_WINDOW_MS);

export class ServerConnection implements Flushable {
  flushScheduled = false;
  closed = false;
  /** Requests sent on it so far (the pool tells idle connections by it). */
  sent = 0;
  /** Set when the connection is to close once every request in flight is answered. */
  private closing = false;
  /** Set once the socket carries requests (connected, and the TLS handshake done): writes wait for it. */
  private ready = false;
  private readonly socket: Socket;
  private readonly inflight = new Fifo<ForwardedRequest>();
  private outgoing: Buffer[] = [];
  private outgoingBytes = 0;
  /** The start of a reply not complete yet (for an oversized reply, only its bytes not examined yet). */
  private readonly input: InputBuffer;
  private readonly scanner: ReplyScanner;
  /** Set while the reply under way is beyond max_reply_bytes: its bytes are dropped as they are scanned. */
  private oversized = false;
  private timer: NodeJS.Timeout | null = null;
  /** Where -READONLY replies go (context.failoverReplies), null when they are told apart from no other. */
  private readonly failoverReplies: FailoverReplies | null;
  /** Set once the server refused a request with -READONLY: the later replies follow the refusal. */
  private refusedOnce = false;
  /** The request being timed (written with nothing ahead of it), and when (performance.now, ms). */
  private timed: ForwardedRequest | null = null;
  private timedAt = 0;

  /**
   * `setupRequests`: written first, before any request (Redis AUTH, HELLO 3, SELECT). `isProbe`:
   * the connection only checks that an unhealthy address answers again.
   */
  constructor(private readonly context: ConnectionContext, private readonly setupRequests: readonly Buffer[], readonly isProbe = false) {
    this.input = new InputBuffer(context.maxReplyBytes);
    this.scanner = context.codec.createReplyScanner();
    this.failoverReplies = isProbe ? null : context.failoverReplies;
    this.socket = context.connector.open(context.endpoint, context.config.host);
    this.socket.setNoDelay(true);
    if (context.tcpKeepalive) this.socket.setKeepAlive(true);
    this.socket.on(context.connector.readyEvent, () => this.onReady());
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err: NodeJS.ErrnoException) =>
      this.close(context.connector.describeError(err, this.ready), CloseKind.Error, isOpenFileLimit(err)));
    this.socket.on('close', () => this.close('Connection closed by server', CloseKind.Eof));
    connectionOpened();
    context.stats.server_connections++;
    this.sendSetupCommands();
  }

  /** Queues a request; it is written with the others of this turn. */
  send(request: ForwardedRequest): void {
    const stats = this.context.stats;
    this.sent++;
    this.outgoing.push(request.data);
    this.outgoingBytes += request.data.length;
    stats.requests++;
    this.context.addressStats.requests++;
    stats.request_bytes += request.data.length;
    stats.in_queue++;
    stats.in_queue_bytes += request.data.length;
    scheduleFlush(this);
    if (!request.expectsReply) {
      // Nothing will come back for it: done once queued, and no reply of another request is matched to it.
      request.complete(NO_REPLY);
      return;
    }
    if (this.context.timeout !== null) {
      request.deadline = Date.now() + this.context.timeout;
      if (this.timer === null) this.armTimer(this.context.timeout);
    }
    // Timed only with nothing ahead of it: a round trip of the server, not a wait in a pipeline.
    if (this.timed === null && this.ready && this.inflight.length === 0) {
      this.timed = request;
      this.timedAt = performance.now();
    }
    this.inflight.push(request);
    stats.out_queue++;
    stats.out_queue_bytes += request.data.length;
  }

  /** Requests still waiting for their reply. */
  get inFlight(): number {
    return this.inflight.length;
  }

  flush(): void {
    if (this.closed || !this.ready || this.outgoing.length === 0) return;
    const data = this.outgoing.length === 1 ? this.outgoing[0]! : Buffer.concat(this.outgoing, this.outgoingBytes);
    this.context.stats.in_queue -= this.outgoing.length;
    this.context.stats.in_queue_bytes -= this.outgoingBytes;
    this.outgoing = [];
    this.outgoingBytes = 0;
    this.socket.write(data);
  }

  /** Closes the connection on purpose (shutdown); requests in flight get an error reply. */
  destroy(): void {
    this.close('Connection closed by the proxy', CloseKind.Deliberate);
  }

  /** Closes the connection once every request in flight has its reply. */
  closeWhenAnswered(): void {
    if (this.inflight.length === 0) this.destroy();
    else this.closing = true;
  }

  /** Set-up request replies land here: a refused AUTH or SELECT is logged for the operator. */
  setupDone(reply: Buffer): void {
    if (this.context.codec.isErrorReply(reply)) {
      logError(`server '${this.context.config.name}' of pool '${this.context.poolName}' refused the connection set-up: ` +
        reply.toString('latin1').trim());
    }
  }

  private sendSetupCommands(): void {
    for (const data of this.setupRequests) this.send(new SetupRequest(this, data));
  }

  private onReady(): void {
    this.ready = true;
    log.log(LOG_INFO, `connected to server '${this.context.config.name}' of pool '${this.context.poolName}' at ${this.context.label}` +
      this.context.connector.describeReady(this.socket));
    this.flush();
  }

  private onData(chunk: Buffer): void {
    if (this.input.length > 0 && !this.oversized && this.input.length + chunk.length > this.context.maxReplyBytes) {
      this.dropOversizedReply();
    }
    const held = this.input.length > 0;
    if (held) this.input.append(chunk);
    const buf = held ? this.input.view() : chunk;
    // Held bytes begin at the reply's start, or, for an oversized reply, where scanning resumes.
    const keepFrom = this.readReplies(buf, held && !this.oversized ? this.scanner.examined : 0);
    if (keepFrom < 0) return;
    if (held) this.input.consume(keepFrom);
    else if (keepFrom < buf.length) this.input.keep(buf.subarray(keepFrom));
  }

  /**
   * Completes the requests in flight with the replies in `buf`, scanning from `pos`; returns the
   * position from which bytes must be kept for the reply not complete yet, or -1 once closed.
   */
  private readReplies(buf: Buffer, pos: number): number {
    const scanner = this.scanner;
    const stats = this.context.stats;
    // Where the reply under way starts in buf (before 0 when its first bytes were dropped).
    let start = scanner.inProgress ? pos - scanner.examined : pos;
    let answered = false;
    while (pos < buf.length) {
      const end = scanner.inProgress ? scanner.resume(buf, pos) : scanner.scan(buf, pos);
      if (end === REPLY_INCOMPLETE) {
        if (answered) this.context.serverAnswered();
        return this.keepIncomplete(buf, start);
      }
      // The request stays in flight until its reply is known valid, so that the close fails it too.
      if (end === REPLY_INVALID || this.inflight.length === 0) {
        this.close(end === REPLY_INVALID ? 'Protocol error in server reply' : 'Unexpected reply from server', CloseKind.Error);
        return -1;
      }
      const request = this.inflight.shift()!;
      if (request === this.timed) this.timedReplyRead();
      stats.responses++;
      this.context.addressStats.responses++;
      stats.response_bytes += end - start;
      stats.out_queue--;
      stats.out_queue_bytes -= request.data.length;
      answered = true;
      if (this.oversized) {
        this.oversized = false;
        request.complete(this.replyTooLarge(end - start), true);
      } else if (this.failoverReplies !== null && (this.refusedOnce || (buf[start] === 45 /* - */ && this.context.codec.isReplicaRefusal(buf, start, end)))) {
        // A read after a refused write, answered by the replica, must not overtake that write.
        const refused = !this.refusedOnce || (buf[start] === 45 && this.context.codec.isReplicaRefusal(buf, start, end));
        this.refusedOnce = true;
        this.failoverReplies.replicaReplied(this, request, Buffer.from(buf.subarray(start, end)), refused);
      } else {
        request.complete(buf.subarray(start, end));
      }
      pos = start = end;
    }
    if (answered) this.context.serverAnswered();
    if (this.closing && this.inflight.length === 0) {
      this.destroy();
      return -1;
    }
    return pos;
  }

  /** Where the bytes to keep for the incomplete reply at `start` begin; beyond max_reply_bytes, only the unscanned ones. */
  private keepIncomplete(buf: Buffer, start: number): number {
    if (this.oversized || buf.length - start > this.context.maxReplyBytes) {
      this.markOversized();
      return this.scanner.resumeAt;
    }
    return start;
  }

  /** The reply under way would outgrow max_reply_bytes: drop the bytes of it that are scanned already. */
  private dropOversizedReply(): void {
    this.markOversized();
    this.input.consume(this.scanner.examined);
  }

  private markOversized(): void {
    if (this.oversized) return;
    this.oversized = true;
    log.log(LOG_WARN, `server '${this.context.config.name}' of pool '${this.context.poolName}' sends a reply larger than ` +
      `max_reply_bytes (${this.context.maxReplyBytes}): dropping it, its request gets an error`);
  }

  private replyTooLarge(size: number): Buffer {
    return this.context.codec.serverErrorReply(`reply too large: ${size} bytes, more than max_reply_bytes (${this.context.maxReplyBytes}) ` +
      `of pool '${this.context.poolName}': ask for less at once (e.g. LRANGE or SCAN in pages) or raise max_reply_bytes`);
  }

  private timedReplyRead(): void {
    this.context.latency.record((performance.now() - this.timedAt) * 1000);
    this.timed = null;
  }

  private armTimer(delay: number): void {
    this.timer = setTimeout(() => this.checkTimeout(), Math.max(1, delay));
  }

  private checkTimeout(): void {
    this.timer = null;
    const head = this.inflight.peek();
    if (this.closed || head === undefined) return;
    const now = Date.now();
    if (head.deadline <= now) {
      this.close('Connection timed out', CloseKind.TimedOut);
    } else {
      this.armTimer(head.deadline - now);
    }
  }

  private close(reason: string, kind: CloseKind, atFileLimit = false): void {
    if (this.closed) return;
    this.closed = true;
    const stats = this.context.stats;
    if (this.timer !== null) clearTimeout(this.timer);
    this.socket.destroy();
    connectionClosed();
    stats.server_connections--;
    if (kind === CloseKind.Eof) stats.server_eof++;
    else if (kind === CloseKind.Error) stats.server_err++;
    else if (kind === CloseKind.TimedOut) stats.server_timedout++;
    stats.in_queue -= this.outgoing.length;
    stats.in_queue_bytes -= this.outgoingBytes;
    this.outgoing = [];
    this.input.release();
    const failed = this.inflight.drain();
    // A failure counts as slow, with or without a request being timed (a refused connect too).
    if (kind !== CloseKind.Deliberate) this.context.latency.recordFailure(this.timed === null ? 0 : (performance.now() - this.timedAt) * 1000);
    this.timed = null;
    if (failed.length > 0 || kind !== CloseKind.Deliberate) {
      const line = `server '${this.context.config.name}' of pool '${this.context.poolName}' closed: ${reason} (${failed.length} requests in flight, address ${this.context.label})`;
      if (atFileLimit) fileLimitLog.write(line);
      else log.log(kind === CloseKind.Eof || this.isProbe ? LOG_INFO : LOG_WARN, line);
    }
    const reply = this.context.codec.serverErrorReply(reason);
    if (!this.isProbe) this.context.poolStats.forward_error += failed.length;
    for (const request of failed) {
      stats.out_queue--;
      stats.out_queue_bytes -= request.data.length;
      request.complete(reply, true);
    }
    this.context.connectionClosed(this, kind !== CloseKind.Deliberate);
  }
}

/** A request a connection sends for itself on opening (Redis AUTH, SELECT). */
class SetupRequest implements ForwardedRequest {
  deadline = 0;
  readonly expectsReply = true;

  constructor(private readonly connection: ServerConnection, readonly data: Buffer) {}

  complete(reply: Buffer): void {
    this.connection.setupDone(reply);
  }
}
