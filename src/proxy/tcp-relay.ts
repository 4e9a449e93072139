// A tcp pool's client (protocol: tcp): pinned, when it connects, to one address of the pool's
// server chosen by the routing rules (latency shares, or the even spread), and relayed both ways
// without parsing. The client's bytes wait until the server connection is up: a connect that
// fails before anything was relayed is tried on another address (up to MAX_CONNECT_ATTEMPTS).
// Once relaying, a server connection that fails closes the client: the proxy cannot know what
// the server had done, so nothing is replayed.
import type { Socket } from 'node:net';
import type { Pool } from './pool.js';
import type { ServedClient } from './listener.js';
import { connectionClosed, connectionOpened } from '../stats/counters.js';
import { logInfo } from '../log/logger.js';

const MAX_CONNECT_ATTEMPTS = 3;

let nextRelayId = 1;

export class TcpRelay implements ServedClient {
  private readonly id = nextRelayId++;
  private backend: Socket | null = null;
  private attempts = 0;
  private closed = false;

  /** `openClients`: its listener's open clients, which it leaves once closed. */
  constructor(private readonly client: Socket, private readonly pool: Pool, private readonly openClients: Set<ServedClient>) {
    openClients.add(this);
    connectionOpened();
    pool.stats.client_connections++;
    client.setNoDelay(true);
    client.pause();
    client.on('error', () => {
      pool.stats.client_err++;
      this.backend?.destroy();
    });
    client.once('end', () => pool.stats.client_eof++);
    client.once('close', () => this.clientClosed());
    this.connect();
  }

  /** Nothing is owed beyond the bytes in the sockets: a shutdown closes the relay at once. */
  get drained(): boolean {
    return true;
  }

  drain(): void {}

  close(): void {
    this.backend?.end();
    this.client.end();
  }

  private connect(): void {
    const server = this.pool.servers[0]!;
    const backend = server.openTunnel(this.id + this.attempts++);
    if (backend === null) {
      this.pool.stats.forward_error++;
      logInfo(`pool '${this.pool.name}': no address for client ${this.client.remoteAddress}: ${server.unresolvedReason ?? 'none'}; closing it`);
      this.client.destroy();
      return;
    }
    this.backend = backend;
    let relaying = false;
    backend.once(server.connector.readyEvent, () => {
      relaying = true;
      this.client.pipe(backend);
      backend.pipe(this.client);
      this.client.resume();
    });
    backend.on('error', () => undefined);
    backend.once('close', (hadError: boolean) => {
      if (this.closed) return;
      if (!relaying && this.attempts < MAX_CONNECT_ATTEMPTS) return this.connect();
      if (!relaying || hadError) this.pool.stats.forward_error++;
      // The server went away: the client is closed (after what the server sent, when it ended cleanly).
      if (hadError || !relaying) this.client.destroy();
      else this.client.end();
    });
  }

  private clientClosed(): void {
    this.closed = true;
    this.openClients.delete(this);
    this.backend?.destroy();
    this.pool.stats.client_connections--;
    connectionClosed();
  }
}
