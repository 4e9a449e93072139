// Real redis-server processes for the tests, on 127.0.0.1 ephemeral ports, always stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';
import { RawClient } from './raw-client.js';
import { killChild } from './process.js';

export class RedisServer {
  private process: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'nutcracker-redis-'));

  private constructor(readonly port: number, readonly host: string, private readonly extraArgs: string[]) {}

  /** Starts a redis-server and waits until it answers PING. */
  static async start(options: { host?: string; port?: number; args?: string[] } = {}): Promise<RedisServer> {
    const host = options.host ?? '127.0.0.1';
    const server = new RedisServer(options.port ?? (await freePort(host)), host, options.args ?? []);
    await server.run();
    return server;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  async run(): Promise<void> {
    this.process = spawn('redis-server', [
      '--port', String(this.port), '--bind', this.host, '--save', '', '--appendonly', 'no',
      '--dir', this.dir, '--protected-mode', 'no', ...this.extraArgs,
    ], { stdio: 'ignore' });
    const started = this.process;
    await waitFor(`redis-server on ${this.address}`, async () => {
      if (started.exitCode !== null) throw new Error(`redis-server on ${this.address} exited with ${started.exitCode}`);
      return (await this.tryPing());
    });
  }

  /** Sends a command straight to this server (not through the proxy). */
  async command(...args: string[]): Promise<string> {
    const client = await RawClient.connect(this.port, this.host);
    try {
      const auth = this.extraArgs.indexOf('--requirepass');
      if (auth !== -1) await client.command('AUTH', this.extraArgs[auth + 1]!);
      return await client.command(...args);
    } finally {
      client.close();
    }
  }

  /** Sends the server process a signal: SIGSTOP black-holes it, SIGCONT resumes it. */
  signal(name: NodeJS.Signals): void {
    this.process?.kill(name);
  }

  async stop(): Promise<void> {
    const running = this.process;
    this.process = null;
    await killChild(running);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async tryPing(): Promise<boolean> {
    try {
      const client = await RawClient.connect(this.port, this.host);
      try {
        const reply = await client.command('PING');
        return reply === '+PONG\r\n' || reply.startsWith('-NOAUTH');
      } finally {
        client.close();
      }
    } catch {
      return false;
    }
  }
}

/** Starts `count` redis-servers. */
export async function startRedisServers(count: number, args: string[] = []): Promise<RedisServer[]> {
  const servers: RedisServer[] = [];
  for (let i = 0; i < count; i++) servers.push(await RedisServer.start({ args }));
  return servers;
}
