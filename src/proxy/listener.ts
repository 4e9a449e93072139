// A pool's listening socket: accepts clients (within client_connections) and hands each to what
// serves it: a client connection with the pool's protocol handler, or a tcp relay.
import cluster from 'node:cluster';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import type { Pool } from './pool.js';
import { LOG_ERR, logInfo } from '../log/logger.js';
import { BurstLog } from '../log/burst-log.js';
import { describeSocketError, isOpenFileLimit, TOO_MANY_OPEN_FILES } from '../util/errors.js';
import { atOpenFileLimit } from '../util/open-files.js';

/** How long after a line about the open file limit further ones are only counted. */
const FILE_LIMIT_LOG_WINDOW_MS = 10000;

/** A client as the listener and the shutdown see it. */
export interface ServedClient {
  /** Reads nothing more; what was read is still served. */
  drain(): void;
  /** True once nothing more is owed to the client. */
  readonly drained: boolean;
  close(): void;
}

/** Serves a client the listener accepted; the client is in `openClients` until it is closed. */
export type ClientFactory = (socket: Socket, openClients: Set<ServedClient>) => ServedClient;

export class Listener {
  private readonly server: NetServer;
  private clientSet = new Set<ServedClient>();
  private readonly fileLimitLog = new BurstLog(LOG_ERR, 'clients accepted at the open file limit', FILE_LIMIT_LOG_WINDOW_MS);

  constructor(private pool: Pool, private newClient: ClientFactory) {
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) => this.accept(socket));
  }

  /** Binds the pool's listen address; rejects with a message naming the pool and address. */
  listen(): Promise<void> {
    const { listen, backlog, name } = this.pool.config;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) =>
        reject(new Error(`pool '${name}': cannot listen on ${listen.text}: ${err.message}`));
      this.server.once('error', onError);
      const done = () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.onError(err));
        if (listen.kind === 'unix' && listen.mode !== null) chmodSync(listen.path, listen.mode);
        resolve();
      };
      if (listen.kind === 'unix') {
        // In a worker, the master binds the socket (and removed a stale one before the first worker).
        if (!cluster.isWorker) removeStaleSocket(listen.path);
        this.server.listen({ path: listen.path, backlog }, done);
      } else {
        this.server.listen({ host: listen.host, port: listen.port, backlog }, done);
      }
    });
  }

  get clients(): ReadonlySet<ServedClient> {
    return this.clientSet;
  }

  /**
   * A reload changed the pool but not its address: new clients go to `pool`, on the same open
   * socket (no moment when the port is closed). Returns the clients of the previous pool.
   */
  handOver(pool: Pool, newClient: ClientFactory): ReadonlySet<ServedClient> {
    const previous = this.clientSet;
    this.clientSet = new Set();
    this.pool = pool;
    this.newClient = newClient;
    return previous;
  }

  /** Stops accepting; existing clients stay (server.close's callback would wait for them all). */
  close(): void {
    this.server.close();
  }

  /** A failed accept(): the listener goes on. */
  private onError(err: NodeJS.ErrnoException): void {
    if (isOpenFileLimit(err)) this.fileLimitLog.write(`pool '${this.pool.name}' closed a new client: ${describeSocketError(err)}`);
    else logInfo(`pool '${this.pool.name}' listener: ${err.message}`);
  }

  /** Called after each accept: the clients after the one that took the last file descriptor are closed unserved. */
  private checkOpenFileLimit(): void {
    if (!atOpenFileLimit()) return;
    this.fileLimitLog.write(`pool '${this.pool.name}': ${TOO_MANY_OPEN_FILES}; ` +
      `new clients on ${this.pool.config.listen.text} are closed at once until some disconnect ` +
      `(${this.pool.stats.client_connections} clients connected)`);
  }

  private accept(socket: Socket): void {
    const limit = this.pool.config.clientConnections;
    if (limit > 0 && this.pool.stats.client_connections >= limit) {
      logInfo(`pool '${this.pool.name}': client_connections limit ${limit} reached, closing new client`);
      socket.destroy();
      return;
    }
    // The client joins the set and leaves it once closed (no closure per client here).
    this.newClient(socket, this.clientSet);
    this.checkOpenFileLimit();
  }
}

/** A unix socket left by a previous run would make listen fail with EADDRINUSE. */
export function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // nothing there
  }
}
