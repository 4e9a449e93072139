// A raw socket client for protocol edge cases: sends exact bytes, reads exact bytes, sees closes.
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';

export function encode(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class RawClient {
  private received = Buffer.alloc(0);
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Connects over TLS and resolves once the handshake is done. */
  static connectTls(port: number, host: string, options: ConnectionOptions): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({ ...options, port, host }, () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  static connectPath(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path }, () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends a command and returns its one complete reply as text. */
  async command(...args: string[]): Promise<string> {
    const before = this.received.length;
    this.write(encode(...args));
    await this.until(() => replyEnd(this.received, before) !== -1 || this.closed, 5000);
    const end = replyEnd(this.received, before);
    if (end === -1) throw new Error(`connection closed without a reply to ${args[0]}`);
    const reply = this.received.subarray(before, end).toString('latin1');
    this.received = Buffer.concat([this.received.subarray(0, before), this.received.subarray(end)]);
    return reply;
  }

  /** Waits until `count` complete replies were received (or the timeout), and returns them. */
  async replies(count: number, timeoutMs = 5000): Promise<string[]> {
    await this.until(() => splitReplies(this.received).length >= count || this.closed, timeoutMs);
    return splitReplies(this.received).slice(0, count);
  }

  /** Everything received so far. */
  get data(): string {
    return this.received.toString('latin1');
  }

  get bytes(): Buffer {
    return this.received;
  }

  /** Waits until the server closed the connection; false if it is still open after `timeoutMs`. */
  async waitClosed(timeoutMs = 2000): Promise<boolean> {
    await this.until(() => this.closed, timeoutMs).catch(() => undefined);
    return this.closed;
  }

  /** Waits for `check` to become true, rejecting after `timeoutMs`. */
  until(check: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (check()) return resolve();
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== onChange);
        reject(new Error(`timed out; received so far: ${JSON.stringify(this.data.slice(0, 300))}`));
      }, timeoutMs);
      const onChange = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== onChange);
        resolve();
      };
      this.waiters.push(onChange);
    });
  }

  pause(): void {
    this.socket.pause();
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** End of the complete RESP reply (RESP2, or RESP3 maps) starting at `start`, or -1. A small independent reader for checks. */
export function replyEnd(buf: Buffer, start: number): number {
  let pos = start;
  let pending = 1;
  while (pending > 0) {
    if (pos >= buf.length) return -1;
    const type = String.fromCharCode(buf[pos]!);
    const cr = buf.indexOf('\r\n', pos);
    if (cr === -1) return -1;
    const value = Number(buf.toString('latin1', pos + 1, cr));
    pos = cr + 2;
    pending--;
    if (type === '$' && value >= 0) {
      pos += value + 2;
      if (pos > buf.length) return -1;
    } else if (type === '*' && value > 0) {
      pending += value;
    } else if (type === '%' && value > 0) {
      pending += 2 * value;
    }
  }
  return pos;
}

export function splitReplies(buf: Buffer): string[] {
  const replies: string[] = [];
  let pos = 0;
  for (let end = replyEnd(buf, pos); end !== -1; end = replyEnd(buf, pos)) {
    replies.push(buf.toString('latin1', pos, end));
    pos = end;
  }
  return replies;
}
