// A client's Redis transaction: WATCH ... MULTI ... EXEC or DISCARD. It runs on one server, over
// a server connection dedicated to this client from the first WATCH or keyed command to EXEC,
// DISCARD or UNWATCH, so its WATCH state is its own and no other client's command runs inside it.
// A command that would take it to another server is refused, and EXEC then discards the
// transaction, so nothing of a refused transaction is ever written.
import type { ClientConnection } from './client-connection.js';
import type { Pool } from './pool.js';
import type { LocalArgs } from './redis-local.js';
import { Request, type RequestOwner } from './request.js';
import type { RequestSink, Server } from '../backend/server.js';
import { encodeCommand, errorReply, OK_REPLY } from '../protocol/redis/resp.js';
import { logNotice } from '../log/logger.js';

const QUEUED_REPLY = Buffer.from('+QUEUED\r\n');
const EMPTY_EXEC_REPLY = Buffer.from('*0\r\n');
const MULTI_REQUEST = encodeCommand('MULTI');
const DISCARD_REQUEST = encodeCommand('DISCARD');
const UNWATCH_REQUEST = encodeCommand('UNWATCH');
const HELLO_3_REQUEST = encodeCommand('HELLO', '3');
const HELLO_2_REQUEST = encodeCommand('HELLO', '2');
const EXECABORT_REPLY = errorReply('EXECABORT Transaction discarded because of previous errors.');
const NESTED_MULTI_REPLY = errorReply('ERR MULTI calls can not be nested');

export class RedisTransaction implements RequestOwner {
  /** Between MULTI and EXEC/DISCARD; before MULTI the client is only WATCHing. */
  inMulti = false;
  /** Index of the server the transaction runs on, -1 until its first key decides it. */
  serverIndex = -1;
  private server: Server | null = null;
  private connection: RequestSink | null = null;
  /** Set when the dedicated connection was switched to RESP3 for this client, and must be switched back. */
  private resp3 = false;
  /** Set when a command inside MULTI was refused: EXEC discards the transaction. */
  private refused = false;
  /** MULTI and keyless commands (PING) answered before the server is known, sent once it is. */
  private readonly unsent: Buffer[] = [];

  constructor(private readonly client: ClientConnection, private readonly pool: Pool) {}

  /** True while the transaction's dedicated connection is open. */
  get pinned(): boolean {
    return this.connection !== null && !this.connection.closed;
  }

  multi(command: Buffer): void {
    if (this.inMulti) return this.client.reply(NESTED_MULTI_REPLY);
    this.inMulti = true;
    if (this.connection === null) {
      this.unsent.push(MULTI_REQUEST);
      this.client.reply(OK_REPLY);
    } else {
      this.forward(command);
    }
  }

  /** WATCH of keys that all live on server `serverIndex` (outside MULTI). */
  watch(serverIndex: number, command: Buffer, args: LocalArgs): void {
    if (this.connection === null) this.pin(serverIndex);
    if (serverIndex !== this.serverIndex) {
      this.client.reply(errorReply(`ERR WATCH of '${args.text(1)}': ${this.otherShard(serverIndex)}`));
    } else {
      this.forward(command);
    }
  }

  /** A keyed command inside MULTI whose keys all live on server `serverIndex`. */
  queue(serverIndex: number, command: Buffer, args: LocalArgs): void {
    if (this.connection === null) this.pin(serverIndex);
    if (serverIndex !== this.serverIndex) {
      this.refuse(`ERR '${args.text(0)}' refused inside MULTI: ${this.otherShard(serverIndex)}`);
    } else {
      this.forward(command);
    }
  }

  /** A command whose keys are on different servers: refused (inside MULTI, EXEC will discard). */
  refuseSpanning(args: LocalArgs): void {
    const reply = differentShardsError(this.pool, args.text(0));
    if (this.inMulti) this.refused = true;
    this.client.reply(reply);
  }

  /** A command without a key inside MULTI (PING, ECHO, UNWATCH): runs on whichever server the transaction does. */
  queueKeyless(command: Buffer): void {
    if (this.connection !== null) return this.forward(command);
    this.unsent.push(Buffer.from(command));
    this.client.reply(QUEUED_REPLY);
  }

  /** Refuses a command inside MULTI with `message`; EXEC will discard the transaction, as Redis does. */
  refuse(message: string): void {
    this.refused = true;
    this.client.reply(errorReply(message));
  }

  /** A command refused by the proxy while inside MULTI (unknown, wrong arguments): EXEC discards. */
  markRefused(): void {
    if (this.inMulti) this.refused = true;
  }

  exec(command: Buffer): void {
    if (this.refused || this.failed) {
      if (this.pinned) this.connection!.send(new Request(this, DISCARD_REQUEST));
      this.client.reply(this.failed ? errorReply(`EXECABORT Transaction discarded: ${this.failure()}`) : EXECABORT_REPLY);
    } else if (this.connection !== null) {
      this.forward(command);
    } else if (this.unsent.length === 1) {
      this.client.reply(EMPTY_EXEC_REPLY);
    } else {
      this.pin(this.pool.serverIndexForKey(command, 0, 0));
      this.forward(command);
    }
    this.end();
  }

  discard(command: Buffer): void {
    if (this.pinned) this.forward(command);
    else this.client.reply(OK_REPLY);
    this.end();
  }

  /** UNWATCH outside MULTI ends the transaction's hold on its server; inside MULTI it is queued. */
  unwatch(command: Buffer): void {
    if (this.inMulti) return this.queueKeyless(command);
    if (this.pinned) this.forward(command);
    else this.client.reply(OK_REPLY);
    this.end();
  }

  /** The client went away: the server forgets the transaction and the connection serves the next one. */
  clientClosed(): void {
    if (this.pinned) this.connection!.send(new Request(this, this.inMulti ? DISCARD_REQUEST : UNWATCH_REQUEST));
    this.end();
  }

  /** Replies to the requests the proxy sent on its own (MULTI, queued PINGs, DISCARD). */
  requestDone(request: Request): void {
    const reply = request.reply!;
    if (reply[0] !== 45 /* - */ || request.failed) return;
    logNotice(`server '${this.server!.name}' of pool '${this.pool.name}' refused a transaction command: ${reply.toString('latin1').trim()}`);
    this.refused = true;
  }

  /** True once the dedicated connection failed: the server has dropped the transaction and its WATCHes. */
  private get failed(): boolean {
    return this.connection !== null && this.connection.closed;
  }

  private pin(serverIndex: number): void {
    this.serverIndex = serverIndex;
    this.server = this.pool.servers[serverIndex]!;
    this.connection = this.server.dedicatedConnection();
    this.resp3 = this.client.resp3;
    if (this.resp3) this.connection.send(new Request(this, HELLO_3_REQUEST));
    for (const command of this.unsent) this.connection.send(new Request(this, command));
    this.unsent.length = 0;
  }

  /** Sends a client's command on the dedicated connection; its reply goes to the client. */
  private forward(command: Buffer): void {
    if (this.failed) {
      this.refused = this.inMulti;
      this.client.reply(errorReply(`ERR ${this.failure()}`));
      return;
    }
    const request = new Request(this.client, command);
    this.client.enqueue(request);
    this.connection!.send(request);
  }

  private end(): void {
    if (this.pinned) {
      if (this.resp3) this.connection!.send(new Request(this, HELLO_2_REQUEST));
      this.server!.releaseDedicated(this.connection!);
      // The client's next requests take shared connections: they wait until this one's replies are in.
      this.client.waitUntilAnswered();
    }
    this.connection = null;
    this.client.transaction = null;
  }

  private failure(): string {
    return `the connection to server '${this.server!.name}' that ran this transaction failed, so the server dropped ` +
      'its queued commands and WATCHes; nothing of it was executed; run it again';
  }

  private otherShard(serverIndex: number): string {
    return `its key is on server '${this.pool.servers[serverIndex]!.name}' but this transaction runs on server ` +
      `'${this.server!.name}'; a transaction's keys must all be on one shard: ${hashTagRemedy(this.pool)}`;
  }
}

/** The error for a transaction command (or WATCH) whose own keys are on different servers. */
export function differentShardsError(pool: Pool, typedName: string): Buffer {
  return errorReply(`ERR the keys of '${typedName}' are on different shards, and nutcracker runs a transaction ` +
    `on one shard only: ${hashTagRemedy(pool)}`);
}

function hashTagRemedy(pool: Pool): string {
  const { hashTag, name } = pool.config;
  return hashTag === null
    ? `set hash_tag (e.g. "{}") on pool '${name}' and give the keys one tag, e.g. {user:1}:a and {user:1}:b`
    : `give its keys one hash tag, e.g. ${hashTag[0]}user:1${hashTag[1]}:a and ${hashTag[0]}user:1${hashTag[1]}:b`;
}
