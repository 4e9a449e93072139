// Real MariaDB servers for the tcp pool tests: each with a throwaway datadir made by
// mariadb-install-db, on 127.0.0.1 and an ephemeral port, without grant tables (any user gets
// in: the tests check the relay, not MariaDB's logins), always stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';
import { killChild, runCommand } from './process.js';

export class MariaDbServer {
  private process: ChildProcess | null = null;

  private constructor(readonly port: number, private readonly dir: string) {}

  static async start(): Promise<MariaDbServer> {
    const dir = mkdtempSync(join(tmpdir(), 'nutcracker-mariadb-'));
    const installed = await runCommand('mariadb-install-db', [
      '--no-defaults', `--datadir=${join(dir, 'data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root',
    ], { timeoutMs: 30000 });
    if (installed.code !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mariadb-install-db failed: ${installed.stderr}`);
    }
    const server = new MariaDbServer(await freePort(), dir);
    await server.run();
    return server;
  }

  private async run(): Promise<void> {
    const child = spawn('mariadbd', [
      '--no-defaults', `--datadir=${join(this.dir, 'data')}`, `--port=${this.port}`, '--bind-address=127.0.0.1',
      `--socket=${join(this.dir, 'mariadb.sock')}`, `--pid-file=${join(this.dir, 'mariadb.pid')}`, '--skip-grant-tables',
      '--skip-name-resolve', '--skip-log-bin', '--innodb-buffer-pool-size=8M', '--max-connect-errors=1000000', '--user=root',
    ], { stdio: 'ignore' });
    this.process = child;
    await waitFor(`mariadbd on 127.0.0.1:${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`mariadbd exited with ${child.exitCode}`);
      return (await mariadbQuery('127.0.0.1', this.port, 'SELECT 1').catch(() => '')) === '1';
    }, 30000);
  }

  async destroy(): Promise<void> {
    const running = this.process;
    this.process = null;
    await killChild(running);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs one statement with the `mariadb` client at host:port; its output without column names. */
export async function mariadbQuery(host: string, port: number, sql: string): Promise<string> {
  const result = await runCommand('mariadb', ['--no-defaults', '-h', host, '-P', String(port), '-u', 'root', '-N', '-B', '-e', sql], { timeoutMs: 10000 });
  if (result.code !== 0) throw new Error(`mariadb -e '${sql}' at ${host}:${port} exited with ${result.code}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}
