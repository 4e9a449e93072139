// Real redis-server processes for the tests, on 127.0.0.1 ephemeral ports, always stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';
import { RawClient } from './raw-client.js';
import { killChild } from './process.js';
import type { CertFiles } from './tls-certs.js';

/** A redis-server that speaks TLS only (`--port 0 --tls-port`). */
export interface RedisTls {
  /** The server's certificate and key. */
  server: CertFiles;
  /** The CA file redis checks client certificates against. */
  ca: string;
  /** `--tls-auth-clients`: clients must present a certificate signed by `ca`. */
  authClients: boolean;
  /** What the test's own commands present as a client certificate (default: the server's pair). */
  client?: CertFiles;
}

export class RedisServer {
  private process: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'nutcracker-redis-'));

  private constructor(readonly port: number, readonly host: string, private readonly extraArgs: string[],
    private readonly tls: RedisTls | null) {}

  /** Starts a redis-server and waits until it answers PING; with `tls`, on a TLS port only. */
  static async start(options: { host?: string; port?: number; args?: string[]; tls?: RedisTls } = {}): Promise<RedisServer> {
    const host = options.host ?? '127.0.0.1';
    const server = new RedisServer(options.port ?? (await freePort(host)), host, options.args ?? [], options.tls ?? null);
    await server.run();
    return server;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  async run(): Promise<void> {
    this.process = spawn('redis-server', [
      ...this.portArgs(), '--bind', this.host, '--save', '', '--appendonly', 'no',
      '--dir', this.dir, '--protected-mode', 'no', ...this.extraArgs,
    ], { stdio: 'ignore' });
    const started = this.process;
    await waitFor(`redis-server on ${this.address}`, async () => {
      if (started.exitCode !== null) throw new Error(`redis-server on ${this.address} exited with ${started.exitCode}`);
      return (await this.tryPing());
    });
  }

  private portArgs(): string[] {
    if (this.tls === null) return ['--port', String(this.port)];
    const { server, ca, authClients } = this.tls;
    return ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', server.cert, '--tls-key-file', server.key,
      '--tls-ca-cert-file', ca, '--tls-auth-clients', authClients ? 'yes' : 'no'];
  }

  /** A connection of the test's own, beside the proxy's: over TLS for a TLS server (its certificate is not checked). */
  private connect(): Promise<RawClient> {
    if (this.tls === null) return RawClient.connect(this.port, this.host);
    const client = this.tls.client ?? this.tls.server;
    return RawClient.connectTls(this.port, this.host, {
      rejectUnauthorized: false, cert: readFileSync(client.cert), key: readFileSync(client.key),
    });
  }

  /** Sends a command straight to this server (not through the proxy). */
  async command(...args: string[]): Promise<string> {
    const client = await this.connect();
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
      const client = await this.connect();
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
