// One connection to a backend server: writes requests as their raw bytes, batched per event-loop
// turn, keeps them in an in-flight FIFO, and matches each reply it reads to the FIFO head.
import { connect, type Socket } from 'node:net';
import { Request, type RequestOwner } from '../proxy/request.js';
import { REPLY_INCOMPLETE, REPLY_INVALID, ReplyScanner } from '../protocol/redis/reply-parser.js';
import { encodeCommand, errorReply } from '../protocol/redis/resp.js';
import { Fifo } from '../util/fifo.js';
import { scheduleFlush, type Flushable } from '../util/flush-scheduler.js';
import { describeSocketError } from '../util/errors.js';
import { connectionClosed, connectionOpened, type PoolStats, type ServerStats } from '../stats/counters.js';
import { LOG_INFO, LOG_WARN, log, logError } from '../log/logger.js';
import type { ServerConfig } from '../config/types.js';

/** What a connection needs from its logical server. */
export interface ConnectionContext {
  readonly config: ServerConfig;
  readonly stats: ServerStats;
  readonly poolStats: PoolStats;
  readonly poolName: string;
  /** Server timeout in ms, or null for none. */
  readonly timeout: number | null;
  readonly tcpKeepalive: boolean;
  readonly redisAuth: string | null;
  readonly redisDb: number;
  /** Called once when the connection is gone; `failure` is false only for a deliberate close. */
  connectionClosed(connection: ServerConnection, failure: boolean): void;
  /** Called when a reply arrives: the server works. */
  serverAnswered(): void;
}

const enum CloseKind {
  Deliberate,
  Eof,
  Error,
  TimedOut,
}

const scanner = new ReplyScanner();
const HELLO_3 = encodeCommand('HELLO', '3');

export class ServerConnection implements Flushable, RequestOwner {
  flushScheduled = false;
  closed = false;
  /** Set when the connection is to close once every request in flight is answered. */
  private closing = false;
  private readonly socket: Socket;
  private readonly inflight = new Fifo<Request>();
  private outgoing: Buffer[] = [];
  private outgoingBytes = 0;
  private partial: Buffer[] | null = null;
  private partialBytes = 0;
  private need = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly context: ConnectionContext, private readonly resp3: boolean) {
    const { config } = context;
    this.socket = config.isUnix ? connect({ path: config.host }) : connect({ host: config.host, port: config.port });
    this.socket.setNoDelay(true);
    if (context.tcpKeepalive) this.socket.setKeepAlive(true);
    this.socket.on('connect', () => this.onConnect());
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.close(describeSocketError(err), CloseKind.Error));
    this.socket.on('close', () => this.close('Connection closed by server', CloseKind.Eof));
    connectionOpened();
    context.stats.server_connections++;
    this.sendSetupCommands();
  }

  get inflightCount(): number {
    return this.inflight.length;
  }

  /** Queues a request; it is written with the others of this turn. */
  send(request: Request): void {
    const stats = this.context.stats;
    if (this.context.timeout !== null) {
      request.deadline = Date.now() + this.context.timeout;
      if (this.timer === null) this.armTimer(this.context.timeout);
    }
    this.inflight.push(request);
    this.outgoing.push(request.data);
    this.outgoingBytes += request.data.length;
    stats.requests++;
    stats.request_bytes += request.data.length;
    stats.in_queue++;
    stats.in_queue_bytes += request.data.length;
    stats.out_queue++;
    stats.out_queue_bytes += request.data.length;
    scheduleFlush(this);
  }

  flush(): void {
    if (this.closed || this.outgoing.length === 0) return;
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
  requestDone(request: Request): void {
    if (request.reply !== null && request.reply[0] === 45 /* - */) {
      logError(`server '${this.context.config.name}' of pool '${this.context.poolName}' refused the connection set-up: ` +
        request.reply.toString('latin1').trim());
    }
  }

  private sendSetupCommands(): void {
    // AUTH before SELECT: a server with requirepass refuses SELECT from an unauthenticated client.
    const { redisAuth, redisDb } = this.context;
    if (redisAuth !== null) this.send(new Request(this, encodeCommand('AUTH', redisAuth)));
    if (this.resp3) this.send(new Request(this, HELLO_3));
    if (redisDb !== 0) this.send(new Request(this, encodeCommand('SELECT', String(redisDb))));
  }

  private onConnect(): void {
    log.log(LOG_INFO, `connected to server '${this.context.config.name}' of pool '${this.context.poolName}'`);
  }

  private onData(chunk: Buffer): void {
    let buf = chunk;
    if (this.partial !== null) {
      this.partial.push(chunk);
      this.partialBytes += chunk.length;
      if (this.partialBytes < this.need) return;
      buf = Buffer.concat(this.partial, this.partialBytes);
      this.partial = null;
    }
    const stats = this.context.stats;
    let pos = 0;
    let answered = false;
    while (pos < buf.length) {
      const end = scanner.scan(buf, pos);
      if (end === REPLY_INCOMPLETE) {
        this.keepPartial(buf.subarray(pos), scanner.need);
        break;
      }
      const request = this.inflight.shift();
      if (end === REPLY_INVALID || request === undefined) {
        this.close(request === undefined ? 'Unexpected reply from server' : 'Protocol error in server reply', CloseKind.Error);
        return;
      }
      stats.responses++;
      stats.response_bytes += end - pos;
      stats.out_queue--;
      stats.out_queue_bytes -= request.data.length;
      answered = true;
      request.complete(buf.subarray(pos, end));
      pos = end;
    }
    if (answered) this.context.serverAnswered();
    if (this.closing && this.inflight.length === 0) this.destroy();
  }

  private keepPartial(rest: Buffer, need: number): void {
    this.partial = [rest];
    this.partialBytes = rest.length;
    this.need = need;
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

  private close(reason: string, kind: CloseKind): void {
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
    this.partial = null;
    const failed = this.inflight.drain();
    if (failed.length > 0 || kind !== CloseKind.Deliberate) {
      log.log(kind === CloseKind.Eof ? LOG_INFO : LOG_WARN, `server '${this.context.config.name}' of pool '${this.context.poolName}' ` +
        `closed: ${reason} (${failed.length} requests in flight)`);
    }
    const reply = errorReply(`ERR ${reason}`);
    this.context.poolStats.forward_error += failed.length;
    for (const request of failed) {
      stats.out_queue--;
      stats.out_queue_bytes -= request.data.length;
      request.complete(reply, true);
    }
    this.context.connectionClosed(this, kind !== CloseKind.Deliberate);
  }
}
