// A logical server: one `servers:` line. It owns up to `server_connections` connections, shared
// out by client, and its failure count for twemproxy's auto-ejection.
import type { PoolConfig, ServerConfig } from '../config/types.js';
import { ServerStats, type PoolStats } from '../stats/counters.js';
import { ServerConnection, type ConnectionContext } from './server-connection.js';
import type { Codec } from '../protocol/codec.js';
import { codecFor } from '../protocol/index.js';
import type { Connector } from './connector.js';

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
  /** Written first on every connection; the RESP3 ones also say HELLO 3. */
  private readonly setupRequests: readonly Buffer[];
  private readonly resp3SetupRequests: readonly Buffer[];
  readonly maxReplyBytes: number;
  private readonly connections: (ServerConnection | null)[];
  /** The same for clients that speak RESP3 (HELLO 3): these connections said HELLO 3 to the server. */
  private readonly resp3Connections: (ServerConnection | null)[];
  /** Open connections dedicated to one client at a time (transactions), and those of them now free. */
  private readonly dedicated = new Set<ServerConnection>();
  private readonly idleDedicated: ServerConnection[] = [];

  constructor(
    readonly config: ServerConfig,
    pool: PoolConfig,
    readonly poolStats: PoolStats,
    private readonly events: ServerEvents,
    readonly connector: Connector,
  ) {
    this.poolName = pool.name;
    this.timeout = pool.timeout;
    this.tcpKeepalive = pool.tcpKeepalive;
    this.codec = codecFor(pool.protocol);
    this.setupRequests = this.codec.setupRequests({ redisAuth: pool.redisAuth, redisDb: pool.redisDb, resp3: false });
    this.resp3SetupRequests = this.codec.setupRequests({ redisAuth: pool.redisAuth, redisDb: pool.redisDb, resp3: true });
    this.maxReplyBytes = pool.maxReplyBytes;
    this.connections = new Array(pool.serverConnections).fill(null);
    this.resp3Connections = new Array(pool.serverConnections).fill(null);
  }

  get name(): string {
    return this.config.name;
  }

  /**
   * The connection for a client, opened if it is not open. Each client always uses the same one
   * of the `server_connections`, so its pipelined requests reach the server in the order it sent
   * them (a SET then a GET of one key), while different clients spread over the connections.
   * Clients that said HELLO 3 have connections of their own that speak RESP3 to the server.
   */
  connection(clientId: number, resp3 = false): ServerConnection {
    const connections = resp3 ? this.resp3Connections : this.connections;
    const slot = clientId % connections.length;
    let connection = connections[slot]!;
    if (connection === null || connection.closed) {
      connection = new ServerConnection(this, resp3 ? this.resp3SetupRequests : this.setupRequests);
      connections[slot] = connection;
    }
    return connection;
  }

  /**
   * A connection no other client uses until it is released: a transaction's WATCH and MULTI state
   * live on the server connection, so they must not be shared. It speaks RESP2 when handed out.
   */
  dedicatedConnection(): ServerConnection {
    for (let connection = this.idleDedicated.pop(); connection !== undefined; connection = this.idleDedicated.pop()) {
      if (!connection.closed) return connection;
    }
    const connection = new ServerConnection(this, this.setupRequests);
    this.dedicated.add(connection);
    return connection;
  }

  /**
   * Gives back a dedicated connection whose transaction ended (EXEC, DISCARD or UNWATCH sent, so
   * the server holds no state for it). Up to `server_connections` are kept for the next
   * transaction; the others close once their replies are in.
   */
  releaseDedicated(connection: ServerConnection): void {
    if (connection.closed) return;
    if (this.idleDedicated.length < this.connections.length) this.idleDedicated.push(connection);
    else connection.closeWhenAnswered();
  }

  /** Opens every connection now (preconnect). */
  openAll(): void {
    for (let slot = 0; slot < this.connections.length; slot++) this.connection(slot, false);
  }

  closeAll(): void {
    for (const connection of this.connections) connection?.destroy();
    for (const connection of this.resp3Connections) connection?.destroy();
    for (const connection of this.dedicated) connection.destroy();
  }

  connectionClosed(connection: ServerConnection, failure: boolean): void {
    const slot = this.connections.indexOf(connection);
    const resp3Slot = this.resp3Connections.indexOf(connection);
    if (slot !== -1) this.connections[slot] = null;
    else if (resp3Slot !== -1) this.resp3Connections[resp3Slot] = null;
    else this.dedicated.delete(connection);
    if (failure) this.events.serverFailed(this);
  }

  serverAnswered(): void {
    this.failureCount = 0;
  }
}
