// Turns parsed Redis requests into routed requests: forwarded as the client's bytes to the
// server owning the key, split across servers and merged for multi-key commands, or answered
// by the proxy itself.
import type { ClientConnection, RequestHandler } from './client-connection.js';
import { Request } from './request.js';
import type { Pool } from './pool.js';
import type { Server } from '../backend/server.js';
import { answerLocally, LocalArgs, type ProxyInfo } from './redis-local.js';
import { ParsedRequest, ParseStatus } from '../protocol/redis/request-parser.js';
import { lookupCommand, Route, type CommandSpec } from '../protocol/redis/commands.js';
import { forwardSplit } from './split-request.js';
import { mergerFor } from '../protocol/redis/merge.js';
import { errorReply } from '../protocol/redis/resp.js';
import { LOG_NOTICE } from '../log/logger.js';
import { BurstLog } from '../log/burst-log.js';
import { clientText } from '../log/client-text.js';

const NOAUTH = errorReply('NOAUTH Authentication required');
const ALLOWED_BEFORE_AUTH = new Set(['auth', 'hello', 'quit']);
/** A client flooding unknown commands gets one log line per this many ms, and a count. */
const UNSUPPORTED_LOG_WINDOW_MS = 1000;

/** One client's handler: it holds the parse of that client's current, possibly incomplete, request. */
export class RedisHandler implements RequestHandler {
  need = 0;
  readonly maxRequestBytes: number;
  private readonly parsed: ParsedRequest;
  private readonly localArgs: LocalArgs;
  private serverOfKey = new Int32Array(64);
  private readonly unsupportedLog = new BurstLog(LOG_NOTICE, 'unsupported commands', UNSUPPORTED_LOG_WINDOW_MS);

  constructor(private readonly pool: Pool, private readonly info: ProxyInfo) {
    this.maxRequestBytes = pool.config.maxRequestBytes;
    this.parsed = new ParsedRequest(this.maxRequestBytes);
    this.localArgs = new LocalArgs(this.parsed);
  }

  protocolErrorReply(message: string): Buffer {
    return errorReply(`ERR ${message}`);
  }

  handle(client: ClientConnection, buf: Buffer, start: number): number {
    const parsed = this.parsed;
    let pos = start;
    while (pos < buf.length && client.hasRoom) {
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

  private dispatch(client: ClientConnection, buf: Buffer, start: number, end: number): void {
    const parsed = this.parsed;
    const argc = parsed.argc;
    const spec = lookupCommand(buf, parsed.argStart[0]!, parsed.argEnd[0]!);
    if (spec === undefined) {
      this.unsupported(client, buf);
      return;
    }
    if (this.pool.config.redisAuth !== null && !client.authenticated && !ALLOWED_BEFORE_AUTH.has(spec.name)) {
      client.reply(NOAUTH);
      return;
    }
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
    }
  }

  private forward(client: ClientConnection, buf: Buffer, start: number, end: number, keyArg: number): void {
    const server = this.pool.serverForKey(buf, this.parsed.argStart[keyArg]!, this.parsed.argEnd[keyArg]!);
    this.forwardTo(client, server, buf.subarray(start, end));
  }

  private forwardTo(client: ClientConnection, server: Server, data: Buffer): void {
    const request = new Request(client, data);
    client.enqueue(request);
    server.connection(client.id).send(request);
  }

  /** EVAL script numkeys key ...: routed by its first key. */
  private forwardEval(client: ClientConnection, buf: Buffer, start: number, end: number, spec: CommandSpec): void {
    const parsed = this.parsed;
    if (parsed.argc < 3) return wrongArguments(client, spec);
    const numKeys = Number(buf.toString('latin1', parsed.argStart[2]!, parsed.argEnd[2]!));
    if (!Number.isInteger(numKeys) || numKeys < 0) {
      client.reply(errorReply('ERR value is not an integer or out of range'));
    } else if (numKeys === 0) {
      client.reply(errorReply(`ERR nutcracker cannot route ${spec.name.toUpperCase()} without a key: numkeys must be at least 1`));
    } else if (parsed.argc < 3 + numKeys) {
      client.reply(errorReply("ERR Number of keys can't be greater than number of args"));
    } else {
      this.forward(client, buf, start, end, 3);
    }
  }

  /**
   * MGET/DEL/UNLINK/EXISTS/TOUCH (step 1) and MSET (step 2): sent whole when every key lives on
   * one server, otherwise split into one request per server whose replies are merged in key order.
   */
  private forwardKeys(client: ClientConnection, buf: Buffer, start: number, end: number, spec: CommandSpec, step: number): void {
    const parsed = this.parsed;
    const keyCount = (parsed.argc - 1) / step;
    if (this.serverOfKey.length < keyCount) this.serverOfKey = new Int32Array(keyCount * 2);
    const serverOfKey = this.serverOfKey;
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
    this.unsupportedLog.write(`parsed unsupported command '${name}' from client ${client.remoteAddress} of pool '${this.pool.name}'`);
    client.reply(errorReply(`ERR unknown or unsupported command '${name}': nutcracker cannot route it to a shard`));
  }
}

function wrongArguments(client: ClientConnection, spec: CommandSpec): void {
  client.reply(errorReply(`ERR wrong number of arguments for '${spec.name}' command`));
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
