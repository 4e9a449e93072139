// Runs the real nutcracker command (the built CLI) on a config written for the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';
import { get } from 'node:http';
import { freePort, waitFor } from './ports.js';

export const NUTCRACKER_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface PoolSpec {
  servers: string[];
  /** A list (dns_servers) is written as a YAML flow sequence; null leaves the key out (e.g. `redis: null`). */
  options?: Record<string, string | number | boolean | string[] | null>;
}

/** YAML for pools named by key; each gets `listen` filled in with a free port. */
export function poolsYaml(pools: Record<string, PoolSpec & { listen: string }>): string {
  return Object.entries(pools).map(([name, pool]) => {
    const options = { redis: true, ...pool.options };
    const lines = [`${name}:`, `  listen: ${pool.listen}`];
    for (const [key, value] of Object.entries(options)) if (value !== null) lines.push(`  ${key}: ${typeof value === 'string' || Array.isArray(value) ? JSON.stringify(value) : value}`);
    lines.push('  servers:', ...pool.servers.map((server) => `    - ${server}`));
    return lines.join('\n');
  }).join('\n') + '\n';
}

/** The extended layout: `global:` with these keys, and the pools under `pools:`. */
export function extendedYaml(global: Record<string, string | number>, pools: Record<string, PoolSpec & { listen: string }>): string {
  const globalLines = Object.entries(global).map(([key, value]) => `  ${key}: ${value}`);
  const poolLines = poolsYaml(pools).trimEnd().split('\n').map((line) => `  ${line}`);
  return ['global:', ...globalLines, 'pools:', ...poolLines].join('\n') + '\n';
}

export class Nutcracker {
  readonly dir = mkdtempSync(join(tmpdir(), 'nutcracker-test-'));
  private process: ChildProcess | null = null;
  output = '';

  private constructor(readonly statsPort: number, readonly ports: Record<string, number>) {}

  get confFile(): string {
    return join(this.dir, 'nutcracker.yml');
  }

  get logFile(): string {
    return join(this.dir, 'nutcracker.log');
  }

  get pid(): number {
    return this.process?.pid ?? -1;
  }

  /**
   * Starts nutcracker with one listener per pool and waits until every listener accepts;
   * with `openFileLimit`, under that limit of open files (prlimit --nofile); with `global`, in the
   * extended layout with those `global:` keys.
   */
  static async start(pools: Record<string, PoolSpec>, args: string[] = [],
    options: { openFileLimit?: number; global?: Record<string, string | number> } = {}): Promise<Nutcracker> {
    const ports: Record<string, number> = {};
    for (const name of Object.keys(pools)) ports[name] = await freePort();
    const withListen = Object.fromEntries(Object.entries(pools).map(([name, pool]) => [name, { ...pool, listen: `127.0.0.1:${ports[name]}` }]));
    return Nutcracker.startConfig(options.global === undefined ? poolsYaml(withListen) : extendedYaml(options.global, withListen), ports, args, options);
  }

  /** Starts nutcracker on a configuration written out by the test, whose pools listen on `ports` (by pool name). */
  static async startConfig(yaml: string, ports: Record<string, number>, args: string[] = [],
    options: { openFileLimit?: number } = {}): Promise<Nutcracker> {
    const proxy = new Nutcracker(await freePort(), ports);
    writeFileSync(proxy.confFile, yaml);
    await proxy.run(['-c', proxy.confFile, '-s', String(proxy.statsPort), '-a', '127.0.0.1', '-i', '100', ...args], options.openFileLimit);
    return proxy;
  }

  async run(args: string[], openFileLimit?: number): Promise<void> {
    // prlimit sets the limit, then runs node in its own place (same pid).
    const command = openFileLimit === undefined ? [process.execPath] : ['prlimit', `--nofile=${openFileLimit}:${openFileLimit}`, process.execPath];
    const child = spawn(command[0]!, [...command.slice(1), NUTCRACKER_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    try {
      await waitFor('nutcracker listeners', async () => {
        if (child.exitCode !== null) throw new Error(`nutcracker exited with ${child.exitCode}: ${this.output}`);
        const ready = await Promise.all([...Object.values(this.ports), this.statsPort].map(accepts));
        return ready.every(Boolean);
      }, 10000);
    } catch (err) {
      // The caller never gets this instance to destroy: leave no process (or workers) behind.
      await this.destroy();
      throw err;
    }
  }

  port(pool: string): number {
    return this.ports[pool]!;
  }

  signal(name: NodeJS.Signals): void {
    this.process?.kill(name);
  }

  /** Resolves when the process exits, with its exit code or the signal that ended it. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.process;
    if (child === null) return Promise.reject(new Error('nutcracker is not running'));
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Stops it with SIGTERM (SIGKILL after 5 s) and returns the exit code. */
  async stop(): Promise<number | null> {
    const child = this.process;
    this.process = null;
    if (child === null) return null;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Reads the stats JSON from the stats port the way twemproxy exporters do: connect and read to EOF. */
export function readStats(port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => {
      try {
        resolve(JSON.parse(text) as Record<string, unknown>);
      } catch (err) {
        reject(new Error(`stats were not JSON: ${text}: ${(err as Error).message}`));
      }
    });
    socket.on('error', reject);
  });
}

/** Tries of httpGet: the stats port answers a client that says nothing for 100 ms with the plain JSON. */
const HTTP_GET_TRIES = 5;

/**
 * The body of an HTTP GET of `path` on 127.0.0.1:`port` (the stats port's /routing and /metrics).
 * A test process busy with its own load can be slower than the stats port's 100 ms to send its
 * request, and then gets the plain JSON instead: that answer is not the one asked for, so it asks again.
 */
export async function httpGet(port: number, path: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await httpGetOnce(port, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'HPE_INVALID_CONSTANT' || attempt === HTTP_GET_TRIES) throw err;
    }
  }
}

function httpGetOnce(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
    }).on('error', reject);
  });
}
