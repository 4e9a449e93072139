// Turns parsed memcached requests into routed requests: forwarded as the client's bytes to the
// server owning the key, a get/gets of keys on several servers split and merged, quit answered
// by the proxy itself.
import type { ClientConnection, RequestHandler } from './client-connection.js';
import { Request } from './request.js';
import type { Pool } from './pool.js';
import { Command, MAX_VALUE_LENGTH, ParsedRequest, ParseStatus } from '../protocol/memcache/request-parser.js';
import { mergeRetrieval } from '../protocol/memcache/merge.js';
import { forwardSplit, serverOfKeyArray } from './split-request.js';

const NO_REPLY = Buffer.alloc(0);
const CRLF = Buffer.from('\r\n');
/** The parse state of every client that has sent nothing yet; never parsed into. */
const NOT_STARTED = new ParsedRequest();

/** One client's handler: it holds the parse of that client's current, possibly incomplete, request. */
export class MemcacheHandler implements RequestHandler {
  need = 0;
  readonly maxRequestBytes: number;
  // Made at the client's first bytes: an idle client holds the shared one.
  private parsed = NOT_STARTED;

  constructor(private readonly pool: Pool) {
    this.maxRequestBytes = pool.config.maxRequestBytes;
  }

  /** `message` is memcached's whole error line ("CLIENT_ERROR bad data chunk", "ERROR"). */
  protocolErrorReply(message: string): Buffer {
    return Buffer.from(`${message}\r\n`);
  }

  handle(client: ClientConnection, buf: Buffer, start: number): number {
    if (this.parsed === NOT_STARTED) this.parsed = new ParsedRequest(Math.min(MAX_VALUE_LENGTH, this.maxRequestBytes));
    const parsed = this.parsed;
    let pos = start;
    while (pos < buf.length && client.hasRoom) {
      const status = parsed.parse(buf, pos);
      if (status === ParseStatus.Incomplete) {
        this.need = parsed.need;
        return pos;
      }
      if (status === ParseStatus.Invalid) {
        if (parsed.fatal) {
          client.protocolError(parsed.error);
          return buf.length;
        }
        client.reply(this.protocolErrorReply(parsed.error));
      } else {
        this.dispatch(client, buf, pos, parsed.end);
      }
      pos = parsed.end;
      if (client.isClosing) return buf.length;
    }
    return pos;
  }

  private dispatch(client: ClientConnection, buf: Buffer, start: number, end: number): void {
    const parsed = this.parsed;
    switch (parsed.command) {
      case Command.Quit:
        return client.reply(NO_REPLY, true);
      case Command.Version:
        // As twemproxy: answered by a server, the one an empty key maps to.
        return this.forwardTo(client, this.pool.serverIndexForKey(buf, 0, 0), buf.subarray(start, end), true);
      case Command.Get:
      case Command.Gets:
        return this.forwardRetrieval(client, buf, start, end);
      default: {
        const server = this.pool.serverIndexForKey(buf, parsed.keyStart(0), parsed.keyEnd(0));
        return this.forwardTo(client, server, buf.subarray(start, end), !parsed.noreply);
      }
    }
  }

  private forwardTo(client: ClientConnection, serverIndex: number, data: Buffer, expectsReply: boolean): void {
    const request = new Request(client, data);
    request.expectsReply = expectsReply;
    client.enqueue(request);
    this.pool.servers[serverIndex]!.connection(client.id).send(request);
  }

  /** get/gets: sent whole when every key lives on one server, otherwise one request per server, merged in key order. */
  private forwardRetrieval(client: ClientConnection, buf: Buffer, start: number, end: number): void {
    const parsed = this.parsed;
    const keyCount = parsed.keyCount;
    const serverOfKey = serverOfKeyArray(keyCount);
    let sameServer = true;
    for (let k = 0; k < keyCount; k++) {
      serverOfKey[k] = this.pool.serverIndexForKey(buf, parsed.keyStart(k), parsed.keyEnd(k));
      if (serverOfKey[k] !== serverOfKey[0]) sameServer = false;
    }
    if (sameServer) return this.forwardTo(client, serverOfKey[0]!, buf.subarray(start, end), true);
    forwardSplit(client, this.pool, buf.subarray(start, end), serverOfKey, keyCount,
      (positions) => this.encodeFragment(buf, positions), mergeRetrieval);
  }

  /** "get k1 k2 ...\r\n" (or gets) for the keys at `positions`, copied from the client's bytes. */
  private encodeFragment(buf: Buffer, positions: readonly number[]): Buffer {
    const parsed = this.parsed;
    const name = parsed.command === Command.Gets ? 'gets' : 'get';
    let size = name.length + CRLF.length;
    for (const k of positions) size += 1 + parsed.keyEnd(k) - parsed.keyStart(k);
    const out = Buffer.allocUnsafe(size);
    let pos = out.write(name, 0, 'latin1');
    for (const k of positions) {
      out[pos++] = 32; /* space */
      pos += buf.copy(out, pos, parsed.keyStart(k), parsed.keyEnd(k));
    }
    CRLF.copy(out, pos);
    return out;
  }
}
