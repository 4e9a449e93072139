// The stats port: twemproxy's JSON to a plain TCP connection (nothing to send), the same JSON to
// an HTTP GET, Prometheus text at GET /metrics, and the routing table (servers' addresses) at GET /routing.
import { createServer, type Server, type Socket } from 'node:net';
import type { StatsSnapshot } from './report.js';
import { logInfo } from '../log/logger.js';

/** How long a new connection may take to show it speaks HTTP before it gets the plain JSON. */
const HTTP_SNIFF_MS = 250;
const MAX_HTTP_HEAD = 8192;
/** How long an answered connection may stay open waiting for the client to close its side. */
const CLOSE_AFTER_MS = 5000;

export class StatsServer {
  private readonly server: Server;

  constructor(private readonly snapshot: StatsSnapshot) {
    this.server = createServer({ allowHalfOpen: true }, (socket) => this.serve(socket));
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`cannot listen for stats on ${host}:${port}: ${err.message}`));
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => logInfo(`stats listener: ${err.message}`));
        resolve();
      });
    });
  }

  close(): void {
    this.server.close();
  }

  private serve(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    let head = '';
    let answered = false;
    const answer = (http: boolean) => {
      if (answered) return;
      answered = true;
      clearTimeout(plain);
      if (http) void this.sendHttp(socket, head);
      else this.sendPlain(socket);
      // Closed like twemproxy closes it, also when the client never closes its side.
      const linger = setTimeout(() => socket.destroy(), CLOSE_AFTER_MS);
      linger.unref();
      socket.once('close', () => clearTimeout(linger));
    };
    // Bytes that came before the timer are read first (a loaded proxy may see both in one turn),
    // and a request begun is waited for; one never finished is closed, as twemproxy closes it.
    const plain = setTimeout(() => setImmediate(() => {
      if (head.length === 0) answer(false);
      else if (!answered) setTimeout(() => answered || socket.destroy(), CLOSE_AFTER_MS).unref();
    }), HTTP_SNIFF_MS);
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      head += chunk.toString('latin1');
      if (!/^(GET|HEAD) /.test(head) && head.length >= 4) answer(false);
      else if (head.includes('\r\n\r\n') || head.includes('\n\n') || head.length > MAX_HTTP_HEAD) answer(true);
    });
    // A client that shuts down its side at once (nc -N, shutdown(SHUT_WR)) still gets the JSON.
    socket.on('end', () => answer(/^(GET|HEAD) \S/.test(head)));
    socket.on('close', () => clearTimeout(plain));
  }

  private sendPlain(socket: Socket): void {
    if (!socket.writable) return;
    socket.end(this.snapshot.toJson());
  }

  private async sendHttp(socket: Socket, head: string): Promise<void> {
    const [method = 'GET', target = '/'] = head.split(/\s+/, 2);
    const path = target.split('?')[0];
    const metrics = path === '/metrics';
    const json = path === '/routing' ? this.snapshot.toRoutingJson() : this.snapshot.toJson();
    const body = metrics ? await this.snapshot.toPrometheus() : `${json}
`;
    if (!socket.writable) return;
    const type = metrics ? 'text/plain; version=0.0.4; charset=utf-8' : 'application/json';
    const status = metrics || path === '/' || path === '/stats' || path === '/routing' ? '200 OK' : '404 Not Found';
    const payload = status.startsWith('200') ? body : 'not found: try /, /stats, /metrics or /routing\n';
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: ${status.startsWith('200') ? type : 'text/plain'}\r\n` +
      `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${method === 'HEAD' ? '' : payload}`);
  }
}
