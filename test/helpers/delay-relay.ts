// A TCP relay for tests, in front of a real server: delays each direction by an amount that can
// change at run time, can black-hole (swallow bytes, connections stay open), and can drop every
// connection. Used to make a server slow, silent or flaky without touching the server itself.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { listenOn, listenOnFreePort } from './ports.js';

export type Direction = 'toServer' | 'toClient';

/** Bytes queued in one direction beyond which the sending side is paused. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/** One direction of one relayed connection: chunks leave in order, each no earlier than its due time. */
class DelayedPipe {
  private readonly queue: { chunk: Buffer; due: number }[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastDue = 0;

  constructor(private readonly from: Socket, private readonly to: Socket, private readonly relay: DelayRelay, private readonly direction: Direction) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
  }

  private push(chunk: Buffer): void {
    if (this.relay.blackholed) return;
    this.lastDue = Math.max(Date.now() + this.relay.delays[this.direction], this.lastDue);
    this.queue.push({ chunk, due: this.lastDue });
    this.queuedBytes += chunk.length;
    if (this.queuedBytes > MAX_QUEUED_BYTES) this.from.pause();
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null || this.queue.length === 0) return;
    this.timer = setTimeout(() => this.release(), Math.max(0, this.queue[0]!.due - Date.now()));
  }

  private release(): void {
    this.timer = null;
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0]!.due <= now) {
      const { chunk } = this.queue.shift()!;
      this.queuedBytes -= chunk.length;
      if (!this.relay.blackholed && !this.to.destroyed) this.to.write(chunk);
    }
    if (this.queuedBytes <= MAX_QUEUED_BYTES) this.from.resume();
    this.schedule();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

export class DelayRelay {
  /** Milliseconds added to each direction; change at any time (bytes already queued keep their time). */
  readonly delays: Record<Direction, number> = { toServer: 0, toClient: 0 };
  /** While true, bytes in both directions are dropped and connections stay open. */
  blackholed = false;
  private readonly pairs = new Set<[Socket, Socket, DelayedPipe, DelayedPipe]>();

  private constructor(private readonly server: Server, readonly host: string, readonly port: number) {}

  /** Listens on `host` (on `port`, or an ephemeral one) and relays each connection to `target`. */
  static async start(target: { host: string; port: number }, host = '127.0.0.1', port?: number): Promise<DelayRelay> {
    let relay: DelayRelay | null = null;
    const server = createServer((client) => relay?.relay(client, target));
    relay = new DelayRelay(server, host, port === undefined ? await listenOnFreePort(server, host) : await listenOn(server, host, port));
    return relay;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get connections(): number {
    return this.pairs.size;
  }

  setDelay(direction: Direction | 'both', ms: number): void {
    if (direction !== 'toClient') this.delays.toServer = ms;
    if (direction !== 'toServer') this.delays.toClient = ms;
  }

  /** Drops every relayed connection (both sides), as a failing middlebox would. */
  dropConnections(): void {
    for (const [client, server] of this.pairs) {
      client.destroy();
      server.destroy();
    }
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, target: { host: string; port: number }): void {
    const server = connect({ host: target.host, port: target.port });
    const pair: [Socket, Socket, DelayedPipe, DelayedPipe] = [client, server,
      new DelayedPipe(client, server, this, 'toServer'), new DelayedPipe(server, client, this, 'toClient')];
    this.pairs.add(pair);
    const end = (): void => {
      if (!this.pairs.delete(pair)) return;
      pair[2].stop();
      pair[3].stop();
      client.destroy();
      server.destroy();
    };
    for (const socket of [client, server]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  }
}
