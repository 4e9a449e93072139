// A pool's listening socket: accepts clients (within client_connections) and hands them to the
// pool's protocol handler.
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import type { Pool } from './pool.js';
import { ClientConnection, type RequestHandler } from './client-connection.js';
import { logInfo } from '../log/logger.js';

export class Listener {
  private readonly server: NetServer;
  readonly clients = new Set<ClientConnection>();

  /** `newHandler` makes each client's own handler (it holds that client's parse state). */
  constructor(private readonly pool: Pool, private readonly newHandler: () => RequestHandler) {
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
        this.server.on('error', (err) => logInfo(`pool '${name}' listener: ${err.message}`));
        if (listen.kind === 'unix' && listen.mode !== null) chmodSync(listen.path, listen.mode);
        resolve();
      };
      if (listen.kind === 'unix') {
        removeStaleSocket(listen.path);
        this.server.listen({ path: listen.path, backlog }, done);
      } else {
        this.server.listen({ host: listen.host, port: listen.port, backlog }, done);
      }
    });
  }

  /** Stops accepting; existing clients stay (server.close's callback would wait for them all). */
  close(): void {
    this.server.close();
  }

  private accept(socket: Socket): void {
    const limit = this.pool.config.clientConnections;
    if (limit > 0 && this.pool.stats.client_connections >= limit) {
      logInfo(`pool '${this.pool.name}': client_connections limit ${limit} reached, closing new client`);
      socket.destroy();
      return;
    }
    const client = new ClientConnection(socket, this.newHandler(), this.pool.stats);
    this.clients.add(client);
    socket.once('close', () => this.clients.delete(client));
  }
}

/** A unix socket left by a previous run would make listen fail with EADDRINUSE. */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // nothing there
  }
}
