// Turns parsed Redis requests into routed requests: forwarded as the client's bytes to the
// server owning the key, split across servers and merged for multi-key commands, or answered
// by the proxy itself.
import type { ClientConnection, RequestHandler } from './client-connection.js';
import { Request } from './request.js';
import type { Pool } from './pool.js';
import type { Server } from '../backend/server.js';
import { answerLocally, foreignDbError, LocalArgs, type ProxyInfo } from './redis-local.js';
import { differentShardsError, RedisTransaction } from './redis-transaction.js';
import { forwardScan } from './redis-scan.js';
import { ParsedRequest, ParseStatus } from '../protocol/redis/request-parser.js';
import { InlineParser, InlineStatus } from '../protocol/redis/inline-parser.js';
import { lookupCommand, Route, type CommandSpec } from '../protocol/redis/commands.js';
import { forwardSplit, serverOfKeyArray } from './split-request.js';
import { mergerFor } from '../protocol/redis/merge.js';
import { errorReply, OK_REPLY } from '../protocol/redis/resp.js';
import { LOG_NOTICE } from '../log/logger.js';
import { BurstLog } from '../log/burst-log.js';
import { clientText } from '../log/client-text.js';

const NOAUTH = errorReply('NOAUTH Authentication required');
const ALLOWED_BEFORE_AUTH = new Set(['auth', 'hello', 'quit']);
const WATCH_INSIDE_MULTI = errorReply('ERR WATCH inside MULTI is not allowed');
/** A client flooding unknown commands gets one log line per this many ms, and a count. */
const UNSUPPORTED_LOG_WINDOW_MS = 1000;

/** What targetServer returns for a request that is not bound to one server. */
const NO_KEY = -1;
const SPANS_SHARDS = -2;
/** Refused by the routing rules (argument count, EVAL numkeys): `route` replies the error. */
const NOT_ROUTABLE = -3;

/** The parse state of every client that has sent nothing yet; never parsed into. */
const NOT_STARTED = new ParsedRequest();
const NO_ARGS = new LocalArgs(NOT_STARTED);

/** One client's handler: it holds the parse of that client's current, possibly incomplete, request. */
export class RedisHandler implements RequestHandler {
  need = 0;
  readonly maxRequestBytes: number;
  // Made at the client's first bytes (startParsing): an idle client holds the shared ones.
  private parsed = NOT_STARTED;
  private localArgs = NO_ARGS;
  // Made at a client's first inline command or unsupported command: most clients send neither.
  private inline: InlineParser | null = null;
  private unsupportedLog: BurstLog | null = null;

  constructor(private readonly pool: Pool, private readonly info: ProxyInfo) {
    this.maxRequestBytes = pool.config.maxRequestBytes;
  }

  protocolErrorReply(message: string): Buffer {
    return errorReply(`ERR ${message}`);
  }

  private startParsing(): void {
    this.parsed = new ParsedRequest(this.maxRequestBytes);
    this.localArgs = new LocalArgs(this.parsed);
  }

  handle(client: ClientConnection, buf: Buffer, start: number): number {
    if (this.parsed === NOT_STARTED) this.startParsing();
    const parsed = this.parsed;
    let pos = start;
    while (pos < buf.length && client.hasRoom) {
      if (buf[pos] !== 42 /* * */) {
        const next = this.handleInline(client, buf, pos);
        if (next === -1) return pos;
        pos = next;
        if (client.isClosing) return buf.length;
        continue;
      }
      const status = parsed.parse(buf, pos);
      if (status === ParseStatus.Incomplete) {
        this.need = parsed.need;
        return pos;
      }
      if (status === ParseStatus.Invalid) {
        client.protocolError(parsed.error);
        return buf.length;
      }
      if (status === ParseStatus.TooLarge) {
        client.protocolError(`request too large: it needs at least ${parsed.need} bytes, more than max_request_bytes ` +
          `(${this.maxRequestBytes}) of pool '${this.pool.name}': send smaller requests or raise max_request_bytes`);
        return buf.length;
      }
      this.dispatch(client, buf, pos, parsed.end);
      pos = parsed.end;
      if (client.isClosing) return buf.length;
    }
    return pos;
  }

  /**
   * An inline command or an empty line, accepted as Redis accepts them: the command is dispatched
   * as the RESP array it stands for. Returns the position after the line, or -1 when incomplete.
   */
  private handleInline(client: ClientConnection, buf: Buffer, start: number): number {
    const inline = (this.inline ??= new InlineParser());
    const status = inline.parse(buf, start);
    if (status === InlineStatus.Incomplete) {
      this.need = inline.need;
      return -1;
    }
    if (status === InlineStatus.Invalid) {
      client.protocolError(inline.error);
      return buf.length;
    }
    if (status === InlineStatus.Complete && this.parsed.parse(inline.request, 0) === ParseStatus.Complete) {
      this.dispatch(client, inline.request, 0, inline.request.length);
    }
    return inline.end;
  }

  private dispatch(client: ClientConnection, buf: Buffer, start: number, end: number): void {
    const parsed = this.parsed;
    const spec = lookupCommand(buf, parsed.argStart[0]!, parsed.argEnd[0]!);
    if (spec === undefined) {
      this.unsupported(client, buf);
      return;
    }
    if (this.pool.config.redisAuth !== null && !client.authenticated && !ALLOWED_BEFORE_AUTH.has(spec.name)) {
      client.reply(NOAUTH);
      return;
    }
    if (client.foreignDb !== -1 && spec.route !== Route.Local) return this.refuseForeignDb(client, buf);
    if (client.transaction !== null) return this.dispatchInTransaction(client, client.transaction, spec, buf, start, end);
    this.route(client, spec, buf, start, end);
  }

  private refuseForeignDb(client: ClientConnection, buf: Buffer): void {
    this.localArgs.buf = buf;
    client.reply(foreignDbError(client, this.pool.config, this.localArgs.text(0)));
    client.transaction?.markRefused();
  }

  private route(client: ClientConnection, spec: CommandSpec, buf: Buffer, start: number, end: number): void {
    const argc = this.parsed.argc;
    switch (spec.route) {
      case Route.FixedKey:
        if (argc !== spec.arity) return wrongArguments(client, spec);
        return this.forward(client, buf, start, end, 1);
      case Route.VariadicKey:
        if (argc < 2) return wrongArguments(client, spec);
        return this.forward(client, buf, start, end, 1);
      case Route.MultiKey:
        if (argc < 2) return wrongArguments(client, spec);
        return this.forwardKeys(client, buf, start, end, spec, 1);
      case Route.KeyValuePairs:
        if (argc < 3 || argc % 2 === 0) return wrongArguments(client, spec);
        return this.forwardKeys(client, buf, start, end, spec, 2);
      case Route.Eval:
        return this.forwardEval(client, buf, start, end, spec);
      case Route.AnyServer:
        return this.forwardTo(client, this.pool.serverForKey(buf, 0, 0), buf.subarray(start, end));
      case Route.Local:
        this.localArgs.buf = buf;
        return answerLocally(spec.name, client, this.localArgs, this.pool.config, this.info);
      case Route.Transaction:
        return this.transactionCommand(client, null, spec, buf, start, end);
      case Route.MemoryUsage:
        if (argc < 3 || !this.argIs(buf, 1, 'usage')) return this.memoryUnsupported(client, buf);
        return this.forward(client, buf, start, end, 2);
      case Route.Scan:
        if (argc < 2) return wrongArguments(client, spec);
        return forwardScan(client, this.pool, this.parsed, buf, start, end);
      case Route.EveryServer:
        if (argc !== 1) return wrongArguments(client, spec);
        return this.forwardToEveryServer(client, buf, start, end, spec);
    }
  }

  /** True when argument `arg` is `lowerCaseWord`, in any letter case. */
  private argIs(buf: Buffer, arg: number, lowerCaseWord: string): boolean {
    return buf.toString('latin1', this.parsed.argStart[arg]!, this.parsed.argEnd[arg]!).toLowerCase() === lowerCaseWord;
  }

  private memoryUnsupported(client: ClientConnection, buf: Buffer): void {
    this.localArgs.buf = buf;
    const sub = this.parsed.argc > 1 ? ` ${clientText(this.localArgs.raw(1))}` : '';
    client.reply(errorReply(`ERR '${this.localArgs.text(0)}${sub}' is not supported by nutcracker: only MEMORY USAGE key, ` +
      'which goes to the shard of its key'));
    client.transaction?.markRefused();
  }

  /** DBSIZE: asked of every server that is not ejected, the replies merged (summed). */
  private forwardToEveryServer(client: ClientConnection, buf: Buffer, start: number, end: number, spec: CommandSpec): void {
    const data = buf.subarray(start, end);
    const targets: Server[] = [];
    for (let index = this.pool.nextLiveServer(-1); index !== -1; index = this.pool.nextLiveServer(index)) targets.push(this.pool.servers[index]!);
    // When every server is ejected they all still get it, and fail with their own error.
    if (targets.length === 0) targets.push(...this.pool.servers);
    const parent = new Request(client, data);
    const fragments = targets.map(() => new Request(null, data));
    parent.splitInto(fragments, mergerFor(spec.merge), 0);
    client.enqueue(parent);
    this.pool.stats.fragments += fragments.length;
    for (let i = 0; i < fragments.length; i++) targets[i]!.connection(client.id, client.resp3).send(fragments[i]!);
  }

  /**
   * A request from a client in a transaction. Before MULTI (WATCHing), its commands to the
   * watched server take the transaction's connection, so they keep their order with the WATCH.
   * Inside MULTI, every command must run on the transaction's server; others are refused.
   */
  private dispatchInTransaction(client: ClientConnection, transaction: RedisTransaction, spec: CommandSpec,
    buf: Buffer, start: number, end: number): void {
    if (spec.route === Route.Transaction) return this.transactionCommand(client, transaction, spec, buf, start, end);
    const target = this.targetServer(spec, buf);
    this.localArgs.buf = buf;
    if (!transaction.inMulti) {
      if (target === transaction.serverIndex && transaction.pinned) transaction.queue(target, buf.subarray(start, end), this.localArgs);
      else this.route(client, spec, buf, start, end);
      return;
    }
    if (target >= 0) return transaction.queue(target, buf.subarray(start, end), this.localArgs);
    if (target === SPANS_SHARDS) return transaction.refuseSpanning(this.localArgs);
    if (target === NOT_ROUTABLE) {
      this.route(client, spec, buf, start, end);
      return transaction.markRefused();
    }
    if (spec.name === 'quit') return this.route(client, spec, buf, start, end);
    if (spec.route === Route.AnyServer || spec.name === 'ping' || spec.name === 'echo') {
      return transaction.queueKeyless(buf.subarray(start, end));
    }
    const why = spec.route === Route.Local ? 'the proxy answers it itself, outside the transaction' : 'it runs on every shard';
    transaction.refuse(`ERR '${this.localArgs.text(0)}' cannot run inside MULTI through nutcracker: ${why}; ` +
      'send it before MULTI or after EXEC');
  }

  /** MULTI, EXEC, DISCARD, WATCH, UNWATCH. */
  private transactionCommand(client: ClientConnection, transaction: RedisTransaction | null, spec: CommandSpec,
    buf: Buffer, start: number, end: number): void {
    const argc = this.parsed.argc;
    const command = buf.subarray(start, end);
    if (spec.name === 'watch' ? argc < 2 : argc !== 1) {
      wrongArguments(client, spec);
      return transaction?.markRefused();
    }
    switch (spec.name) {
      case 'multi':
        return (transaction ?? this.beginTransaction(client)).multi(command);
      case 'exec':
      case 'discard':
        if (transaction === null || !transaction.inMulti) return client.reply(errorReply(`ERR ${spec.name.toUpperCase()} without MULTI`));
        return spec.name === 'exec' ? transaction.exec(command) : transaction.discard(command);
      case 'watch': {
        if (transaction !== null && transaction.inMulti) return client.reply(WATCH_INSIDE_MULTI);
        const target = this.serverOfKeys(buf, 1);
        this.localArgs.buf = buf;
        if (target === SPANS_SHARDS) return client.reply(differentShardsError(this.pool, this.localArgs.text(0)));
        return (transaction ?? this.beginTransaction(client)).watch(target, command, this.localArgs);
      }
      case 'unwatch':
        return transaction === null ? client.reply(OK_REPLY) : transaction.unwatch(command);
    }
  }

  private beginTransaction(client: ClientConnection): RedisTransaction {
    // Earlier requests went over shared server connections: the transaction's may not overtake them.
    if (client.pendingCount > 0) client.waitUntilAnswered();
    client.transaction = new RedisTransaction(client, this.pool);
    return client.transaction;
  }

  /** The server every key of the request lives on, or NO_KEY, SPANS_SHARDS, NOT_ROUTABLE. */
  private targetServer(spec: CommandSpec, buf: Buffer): number {
    const argc = this.parsed.argc;
    switch (spec.route) {
      case Route.FixedKey:
        return argc === spec.arity ? this.serverOfArg(buf, 1) : NOT_ROUTABLE;
      case Route.VariadicKey:
        return argc >= 2 ? this.serverOfArg(buf, 1) : NOT_ROUTABLE;
      case Route.MultiKey:
        return argc >= 2 ? this.serverOfKeys(buf, 1) : NOT_ROUTABLE;
      case Route.KeyValuePairs:
        return argc >= 3 && argc % 2 === 1 ? this.serverOfKeys(buf, 2) : NOT_ROUTABLE;
      case Route.Eval:
        return this.evalError(buf, spec) === null ? this.serverOfArg(buf, 3) : NOT_ROUTABLE;
      case Route.MemoryUsage:
        return argc >= 3 && this.argIs(buf, 1, 'usage') ? this.serverOfArg(buf, 2) : NOT_ROUTABLE;
      default:
        return NO_KEY;
    }
  }

  private serverOfArg(buf: Buffer, arg: number): number {
    return this.pool.serverIndexForKey(buf, this.parsed.argStart[arg]!, this.parsed.argEnd[arg]!);
  }

  /** The server of the keys at arguments 1, 1 + step, ..., or SPANS_SHARDS. */
  private serverOfKeys(buf: Buffer, step: number): number {
    const first = this.serverOfArg(buf, 1);
    for (let arg = 1 + step; arg < this.parsed.argc; arg += step) if (this.serverOfArg(buf, arg) !== first) return SPANS_SHARDS;
    return first;
  }

  private forward(client: ClientConnection, buf: Buffer, start: number, end: number, keyArg: number): void {
    const server = this.pool.serverForKey(buf, this.parsed.argStart[keyArg]!, this.parsed.argEnd[keyArg]!);
    this.forwardTo(client, server, buf.subarray(start, end));
  }

  private forwardTo(client: ClientConnection, server: Server, data: Buffer): void {
    const request = new Request(client, data);
    client.enqueue(request);
    server.connection(client.id, client.resp3).send(request);
  }

  /** EVAL script numkeys key ...: routed by its first key. */
  private forwardEval(client: ClientConnection, buf: Buffer, start: number, end: number, spec: CommandSpec): void {
    const error = this.evalError(buf, spec);
    if (error === null) this.forward(client, buf, start, end, 3);
    else client.reply(error);
  }

  /** Why an EVAL/EVALSHA cannot be routed by its first key, or null when it can. */
  private evalError(buf: Buffer, spec: CommandSpec): Buffer | null {
    const parsed = this.parsed;
    if (parsed.argc < 3) return wrongArgumentsError(spec);
    const numKeys = Number(buf.toString('latin1', parsed.argStart[2]!, parsed.argEnd[2]!));
    if (!Number.isInteger(numKeys) || numKeys < 0) return errorReply('ERR value is not an integer or out of range');
    if (numKeys === 0) return errorReply(`ERR nutcracker cannot route ${spec.name.toUpperCase()} without a key: numkeys must be at least 1`);
    if (parsed.argc < 3 + numKeys) return errorReply("ERR Number of keys can't be greater than number of args");
    return null;
  }

  /**
   * MGET/DEL/UNLINK/EXISTS/TOUCH (step 1) and MSET (step 2): sent whole when every key lives on
   * one server, otherwise split into one request per server whose replies are merged in key order.
   */
  private forwardKeys(client: ClientConnection, buf: Buffer, start: number, end: number, spec: CommandSpec, step: number): void {
    const parsed = this.parsed;
    const keyCount = (parsed.argc - 1) / step;
    const serverOfKey = serverOfKeyArray(keyCount);
    let sameServer = true;
    for (let k = 0; k < keyCount; k++) {
      const arg = 1 + k * step;
      serverOfKey[k] = this.pool.serverIndexForKey(buf, parsed.argStart[arg]!, parsed.argEnd[arg]!);
      if (serverOfKey[k] !== serverOfKey[0]) sameServer = false;
    }
    if (sameServer) {
      this.forwardTo(client, this.pool.servers[serverOfKey[0]!]!, buf.subarray(start, end));
      return;
    }
    forwardSplit(client, this.pool, buf.subarray(start, end), serverOfKey, keyCount,
      (positions) => encodeFragment(buf, parsed, positions, step), mergerFor(spec.merge));
  }

  private unsupported(client: ClientConnection, buf: Buffer): void {
    const name = clientText(buf, this.parsed.argStart[0]!, this.parsed.argEnd[0]!);
    this.unsupportedLog ??= new BurstLog(LOG_NOTICE, 'unsupported commands', UNSUPPORTED_LOG_WINDOW_MS);
    this.unsupportedLog.write(`parsed unsupported command '${name}' from client ${client.remoteAddress} of pool '${this.pool.name}'`);
    client.reply(errorReply(`ERR unknown or unsupported command '${name}': nutcracker cannot route it to a shard`));
    client.transaction?.markRefused();
  }
}

function wrongArguments(client: ClientConnection, spec: CommandSpec): void {
  client.reply(wrongArgumentsError(spec));
}

function wrongArgumentsError(spec: CommandSpec): Buffer {
  return errorReply(`ERR wrong number of arguments for '${spec.name}' command`);
}

/**
 * The command name and, for each key position, its `step` arguments, as one RESP request. Each
 * argument is copied with its "$<length>\r\n" header straight from the client's bytes.
 */
function encodeFragment(buf: Buffer, parsed: ParsedRequest, positions: readonly number[], step: number): Buffer {
  const argCount = 1 + positions.length * step;
  const header = `*${argCount}\r\n`;
  let size = header.length + bulkSpanLength(parsed, 0);
  for (const position of positions) for (let j = 0; j < step; j++) size += bulkSpanLength(parsed, 1 + position * step + j);
  const out = Buffer.allocUnsafe(size);
  let pos = out.write(header, 0, 'latin1');
  pos = copyBulk(buf, parsed, 0, out, pos);
  for (const position of positions) for (let j = 0; j < step; j++) pos = copyBulk(buf, parsed, 1 + position * step + j, out, pos);
  return out;
}

/**
 * Where argument `arg` starts as sent, at the "$" of its "$<length>\r\n" header. The parser
 * refuses leading zeros, so the header is exactly as long as the length's decimal digits.
 */
function bulkSpanStart(parsed: ParsedRequest, arg: number): number {
  const argStart = parsed.argStart[arg]!;
  return argStart - 3 - decimalDigits(parsed.argEnd[arg]! - argStart);
}

/** Bytes of argument `arg` as sent: "$", its length, CRLF, the data, CRLF. */
function bulkSpanLength(parsed: ParsedRequest, arg: number): number {
  return parsed.argEnd[arg]! + 2 - bulkSpanStart(parsed, arg);
}

function copyBulk(buf: Buffer, parsed: ParsedRequest, arg: number, out: Buffer, pos: number): number {
  return pos + buf.copy(out, pos, bulkSpanStart(parsed, arg), parsed.argEnd[arg]! + 2);
}

function decimalDigits(value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  return digits;
}
