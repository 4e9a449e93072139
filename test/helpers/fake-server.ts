// A fake backend server for tests: answers each request it reads with a reply it computes, and on
// connections the test chooses sends something else instead (damaged bytes, then carry on, hang up,
// or go silent). Protocol-neutral: the test brings the request framing and the answers.
import { createServer, type Server, type Socket } from 'node:net';
import { listenOnFreePort } from './ports.js';

/** Finds where a request ends: the position after it, -1 while incomplete (see `need`), -2 when invalid. */
export interface RequestFraming {
  need: number;
  end(buf: Buffer, start: number): number;
}

/** What to write instead of a correct reply, and what to do after it. */
export interface ReplyAction {
  readonly bytes: Buffer;
  /** continue: answer later requests as usual; close: hang up; silence: read on, never answer again. */
  readonly then: 'continue' | 'close' | 'silence';
}

/** Decides, per reply of one connection, what to send; null = the correct reply. */
export type ConnectionPlan = (correct: Buffer, replyIndex: number) => ReplyAction | null;

export interface FakeServerOptions {
  readonly framing: () => RequestFraming;
  readonly answer: (request: Buffer) => Buffer;
  /** The plan for the n-th accepted connection; none = always answer correctly. */
  readonly plan?: (connectionIndex: number) => ConnectionPlan | null;
  /** Called with the bytes from the first invalid request on a connection (which is then closed). */
  readonly onInvalidRequest?: (bytes: Buffer) => void;
  readonly host?: string;
}

export class FakeServer {
  connections = 0;
  requests = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly host: string, readonly port: number) {}

  static async start(options: FakeServerOptions): Promise<FakeServer> {
    const host = options.host ?? '127.0.0.1';
    let fake: FakeServer | null = null;
    const server = createServer((socket) => fake?.serve(socket, options));
    fake = new FakeServer(server, host, await listenOnFreePort(server, host));
    return fake;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Stops listening and closes every connection. */
  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket, options: FakeServerOptions): void {
    const plan = options.plan?.(this.connections) ?? null;
    this.connections++;
    this.sockets.add(socket);
    const framing = options.framing();
    let buffered: Buffer = Buffer.alloc(0);
    let replies = 0;
    let state: 'answering' | 'silent' | 'closed' = 'answering';
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      if (state !== 'answering') return;
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      if (buffered.length < framing.need) return;
      const out: Buffer[] = [];
      let pos = 0;
      while (pos < buffered.length && state === 'answering') {
        const end = framing.end(buffered, pos);
        if (end === -1) break;
        if (end === -2) {
          options.onInvalidRequest?.(buffered.subarray(pos));
          state = 'closed';
          break;
        }
        this.requests++;
        const correct = options.answer(buffered.subarray(pos, end));
        const action = plan?.(correct, replies++) ?? null;
        out.push(action?.bytes ?? correct);
        if (action !== null && action.then !== 'continue') state = action.then === 'close' ? 'closed' : 'silent';
        pos = end;
      }
      buffered = buffered.subarray(pos);
      if (buffered.length === 0) framing.need = 0;
      if (out.length > 0) socket.write(Buffer.concat(out));
      if (state === 'closed') socket.end();
    });
  }
}
