// Real memcached processes for the tests, on 127.0.0.1 ephemeral ports, always stopped; a pool of
// them behind nutcracker; and a small independent reader of memcached replies for checks.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Nutcracker } from './nutcracker.js';
import { freePort, waitFor } from './ports.js';
import { RawClient } from './raw-client.js';
import { killChild } from './process.js';

export class MemcachedServer {
  private process: ChildProcess | null = null;

  private constructor(readonly port: number, readonly host: string) {}

  /** Starts a memcached (1 MB items, no UDP) and waits until it answers `version`. */
  static async start(options: { host?: string; port?: number } = {}): Promise<MemcachedServer> {
    const host = options.host ?? '127.0.0.1';
    const server = new MemcachedServer(options.port ?? (await freePort(host)), host);
    await server.run();
    return server;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  async run(): Promise<void> {
    // memcached refuses to run as root without -u; as another user -u is ignored.
    this.process = spawn('memcached', ['-u', 'root', '-l', this.host, '-p', String(this.port), '-U', '0', '-m', '256'], { stdio: 'ignore' });
    const started = this.process;
    await waitFor(`memcached on ${this.address}`, async () => {
      if (started.exitCode !== null) throw new Error(`memcached on ${this.address} exited with ${started.exitCode}`);
      return this.answersVersion();
    });
  }

  /** Sends raw request bytes straight to this server and returns its `count` replies. */
  async request(data: string | Buffer, count = 1): Promise<string[]> {
    const client = await RawClient.connect(this.port, this.host);
    try {
      client.write(data);
      return await memcacheReplies(client, count);
    } finally {
      client.close();
    }
  }

  /**
   * Freezes the server (SIGSTOP): connections stay open, nothing is answered. Resolves once the
   * process is stopped (a signal is delivered asynchronously: a request sent at once could still be served).
   */
  async freeze(): Promise<void> {
    const pid = this.process?.pid;
    if (pid === undefined) return;
    this.process!.kill('SIGSTOP');
    await waitFor(`memcached ${this.address} to stop`, () => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.[0] === 'T');
  }

  thaw(): void {
    this.process?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    const running = this.process;
    this.process = null;
    await killChild(running);
  }

  private async answersVersion(): Promise<boolean> {
    try {
      return (await this.request('version\r\n'))[0]!.startsWith('VERSION ');
    } catch {
      return false;
    }
  }
}

export async function startMemcachedServers(count: number): Promise<MemcachedServer[]> {
  const servers: MemcachedServer[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await MemcachedServer.start());
  } catch (err) {
    for (const server of servers) await server.stop();
    throw err;
  }
  return servers;
}

/** N memcached servers (named m1, m2, ...) behind one nutcracker memcached pool named `mc`. */
export class MemcachedPool {
  private constructor(readonly servers: MemcachedServer[], readonly proxy: Nutcracker) {}

  static async start(shards: number, options: Record<string, string | number | boolean> = {}): Promise<MemcachedPool> {
    const servers = await startMemcachedServers(shards);
    try {
      const proxy = await Nutcracker.start({
        mc: { servers: servers.map((server, i) => `${server.address}:1 m${i + 1}`), options: { redis: false, ...options } },
      });
      return new MemcachedPool(servers, proxy);
    } catch (err) {
      for (const server of servers) await server.stop();
      throw err;
    }
  }

  get port(): number {
    return this.proxy.port('mc');
  }

  async destroy(): Promise<void> {
    await this.proxy.destroy();
    for (const server of this.servers) await server.stop();
  }
}

/** Waits until `client` received `count` complete memcached replies (or closed) and returns them. */
export async function memcacheReplies(client: RawClient, count: number, timeoutMs = 5000): Promise<string[]> {
  await client.until(() => splitMemcacheReplies(client.bytes).length >= count || client.closed, timeoutMs);
  return splitMemcacheReplies(client.bytes).slice(0, count);
}

/**
 * Splits memcached replies: VALUE blocks up to END form one reply, any other line is one. Decoded
 * as latin1, so binary values compare byte for byte.
 */
export function splitMemcacheReplies(buf: Buffer): string[] {
  const replies: string[] = [];
  let pos = 0;
  let replyStart = 0;
  while (pos < buf.length) {
    const lineEnd = buf.indexOf('\r\n', pos);
    if (lineEnd === -1) break;
    const line = buf.toString('latin1', pos, lineEnd);
    if (line.startsWith('VALUE ')) {
      const length = Number(line.split(' ')[3]);
      const next = lineEnd + 2 + length + 2;
      if (next > buf.length) break;
      pos = next;
      continue;
    }
    pos = lineEnd + 2;
    replies.push(buf.toString('latin1', replyStart, pos));
    replyStart = pos;
  }
  return replies;
}

/** Sends one request on `client` and returns its reply (the next one after those already received). */
export async function memcacheRequest(client: RawClient, data: string | Buffer, timeoutMs = 5000): Promise<string> {
  const before = splitMemcacheReplies(client.bytes).length;
  client.write(data);
  const replies = await memcacheReplies(client, before + 1, timeoutMs);
  if (replies.length <= before) throw new Error(`connection closed without a reply to ${JSON.stringify(String(data).slice(0, 40))}`);
  return replies[before]!;
}
