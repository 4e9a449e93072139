// SCAN over a whole pool: one cursor walks every server in turn. The pool cursor carries the
// server being scanned and that server's own cursor: pool cursor = server cursor * servers + index.
// Cursor 0 starts at the first server; when a server's walk ends (its cursor 0), the pool cursor
// moves to the start of the next server, and to 0 after the last one.
import type { ClientConnection } from './client-connection.js';
import type { Pool } from './pool.js';
import { Request, type RequestOwner } from './request.js';
import type { ParsedRequest } from '../protocol/redis/request-parser.js';
import { errorReply } from '../protocol/redis/resp.js';

/** Redis cursors are unsigned 64-bit numbers; clients parse them as such (redis-cli's strtoull). */
const MAX_CURSOR = (1n << 64n) - 1n;
const EMPTY_SCAN_REPLY = Buffer.from('*2\r\n$1\r\n0\r\n*0\r\n');

export interface ScanPosition {
  serverIndex: number;
  serverCursor: bigint;
}

/** The server and its cursor that a pool cursor (decimal text) stands for, or null when it is not a cursor. */
export function decodeCursor(text: string, serverCount: number): ScanPosition | null {
  if (!/^[0-9]{1,20}$/.test(text)) return null;
  const cursor = BigInt(text);
  if (cursor > MAX_CURSOR) return null;
  const count = BigInt(serverCount);
  return { serverIndex: Number(cursor % count), serverCursor: cursor / count };
}

/**
 * The pool cursor after server `serverIndex` answered `serverCursor`: the same server further
 * on, the start of `nextServer` (-1: none left, the walk is over), or null when it cannot be
 * represented in 64 bits.
 */
export function nextCursor(serverCursor: bigint, serverIndex: number, serverCount: number, nextServer: number): bigint | null {
  if (serverCursor === 0n) return nextServer === -1 ? 0n : BigInt(nextServer);
  const cursor = serverCursor * BigInt(serverCount) + BigInt(serverIndex);
  return cursor > MAX_CURSOR ? null : cursor;
}

/**
 * SCAN cursor [MATCH p] [COUNT n] [TYPE t] (already `parsed`): sent to the server the pool cursor
 * names, with that server's own cursor in place of the pool's.
 */
export function forwardScan(client: ClientConnection, pool: Pool, parsed: ParsedRequest, buf: Buffer, start: number, end: number): void {
  const servers = pool.servers;
  const position = decodeCursor(buf.toString('latin1', parsed.argStart[1]!, parsed.argEnd[1]!), servers.length);
  if (position === null) return client.reply(errorReply('ERR invalid cursor'));
  let { serverIndex } = position;
  // A walk skips a server ejected when it reaches it: its keys cannot be reached through the proxy meanwhile.
  if (position.serverCursor === 0n && servers[serverIndex]!.ejectedUntil > Date.now()) {
    serverIndex = pool.nextLiveServer(serverIndex);
    if (serverIndex === -1) return client.reply(EMPTY_SCAN_REPLY);
  }
  const server = servers[serverIndex]!;
  const request = new Request(client, buf.subarray(start, end));
  const step = new ScanStep(request, server.name, serverIndex, servers.length, pool.nextLiveServer(serverIndex));
  const cursor = position.serverCursor.toString();
  const head = Buffer.from(`*${parsed.argc}\r\n$4\r\nSCAN\r\n$${cursor.length}\r\n${cursor}\r\n`);
  client.enqueue(request);
  server.connection(client.id, client.resp3).send(new Request(step, Buffer.concat([head, buf.subarray(parsed.argEnd[1]! + 2, end)])));
}

/** Receives one server's SCAN reply and answers the client's SCAN with the cursor rewritten. */
export class ScanStep implements RequestOwner {
  constructor(
    private readonly clientRequest: Request,
    private readonly serverName: string,
    private readonly serverIndex: number,
    private readonly serverCount: number,
    /** The server to scan after this one, or -1. */
    private readonly nextServer: number,
  ) {}

  requestDone(request: Request): void {
    const reply = request.reply!;
    if (request.failed || reply[0] === 45 /* - */) return this.clientRequest.complete(reply, request.failed);
    this.clientRequest.complete(this.rewrite(reply));
  }

  /** "*2\r\n$<n>\r\n<cursor>\r\n<keys>" with the server's cursor replaced by the pool cursor. */
  private rewrite(reply: Buffer): Buffer {
    const match = /^\*2\r\n\$\d+\r\n(\d+)\r\n/.exec(reply.toString('latin1', 0, Math.min(reply.length, 40)));
    if (match === null) return errorReply(`ERR nutcracker: server '${this.serverName}' sent an unexpected SCAN reply`);
    const cursor = nextCursor(BigInt(match[1]!), this.serverIndex, this.serverCount, this.nextServer);
    if (cursor === null) {
      return errorReply(`ERR nutcracker: server '${this.serverName}' returned a SCAN cursor too large to carry the server in it`);
    }
    const text = cursor.toString();
    return Buffer.concat([Buffer.from(`*2\r\n$${text.length}\r\n${text}\r\n`), reply.subarray(match[0].length)]);
  }
}
