// A logical server: one `servers:` line. It owns up to `server_connections` connections, shared
// out by client, and its failure count for twemproxy's auto-ejection.
import type { PoolConfig, ServerConfig } from '../config/types.js';
import { ServerStats, type PoolStats } from '../stats/counters.js';
import { ServerConnection, type ConnectionContext } from './server-connection.js';
import type { Codec } from '../protocol/codec.js';
import { codecFor } from '../protocol/index.js';

export interface ServerEvents {
  /** A connection of `server` failed (refused, reset, timed out, closed by the server). */
  serverFailed(server: Server): void;
}

export class Server implements ConnectionContext {
  readonly stats = new ServerStats();
  failureCount = 0;
  /** ms timestamp until which the server is ejected (0 = not ejected). */
  ejectedUntil = 0;
  readonly poolName: string;
  readonly timeout: number | null;
  readonly tcpKeepalive: boolean;
  readonly codec: Codec;
  readonly setupRequests: readonly Buffer[];
  readonly maxReplyBytes: number;
  private readonly connections: (ServerConnection | null)[];

  constructor(
    readonly config: ServerConfig,
    pool: PoolConfig,
    readonly poolStats: PoolStats,
    private readonly events: ServerEvents,
  ) {
    this.poolName = pool.name;
    this.timeout = pool.timeout;
    this.tcpKeepalive = pool.tcpKeepalive;
    this.codec = codecFor(pool.protocol);
    this.setupRequests = this.codec.setupRequests(pool);
    this.maxReplyBytes = pool.maxReplyBytes;
    this.connections = new Array(pool.serverConnections).fill(null);
  }

  get name(): string {
    return this.config.name;
  }

  /**
   * The connection for a client, opened if it is not open. Each client always uses the same one
   * of the `server_connections`, so its pipelined requests reach the server in the order it sent
   * them (a SET then a GET of one key), while different clients spread over the connections.
   */
  connection(clientId: number): ServerConnection {
    const slot = clientId % this.connections.length;
    let connection = this.connections[slot]!;
    if (connection === null || connection.closed) {
      connection = new ServerConnection(this);
      this.connections[slot] = connection;
    }
    return connection;
  }

  /** Opens every connection now (preconnect). */
  openAll(): void {
    for (let slot = 0; slot < this.connections.length; slot++) this.connection(slot);
  }

  closeAll(): void {
    for (const connection of this.connections) connection?.destroy();
  }

  connectionClosed(connection: ServerConnection, failure: boolean): void {
    const slot = this.connections.indexOf(connection);
    if (slot !== -1) this.connections[slot] = null;
    if (failure) this.events.serverFailed(this);
  }

  serverAnswered(): void {
    this.failureCount = 0;
  }
}
