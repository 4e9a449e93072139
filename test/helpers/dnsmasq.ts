// Debian's dnsmasq for the tests: serves a hosts file on 127.0.0.1 and an ephemeral port, in the
// foreground, with no upstream and nothing from the system's files. The test rewrites the file and
// reloads it (SIGHUP). Names under `domain` that the file lacks get NXDOMAIN. Always stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';

export const DNSMASQ = '/usr/sbin/dnsmasq';

/** Name -> its addresses (IPv4 and IPv6). */
export type HostsMap = Record<string, string[]>;

export interface DnsmasqOptions {
  /** TTL of every answer, in seconds (dnsmasq's --local-ttl). */
  ttl?: number;
  /** Names under it that the hosts file lacks are answered NXDOMAIN, not REFUSED. */
  domain?: string;
}

const START_ATTEMPTS = 3;

export class Dnsmasq {
  private output = '';
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess, readonly port: number, private readonly dir: string, readonly domain: string) {
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Starts dnsmasq serving `hosts` and waits until it answers (retrying if its port was taken). */
  static async start(hosts: HostsMap, options: DnsmasqOptions = {}): Promise<Dnsmasq> {
    for (let attempt = 1; ; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), 'nutcracker-dnsmasq-'));
      writeHosts(join(dir, 'hosts'), hosts);
      const port = await freePort();
      const domain = options.domain ?? 'test';
      const server = new Dnsmasq(spawn(DNSMASQ, dnsmasqArgs(join(dir, 'hosts'), port, domain, options.ttl ?? 5), { stdio: ['ignore', 'ignore', 'pipe'] }), port, dir, domain);
      try {
        await server.waitUntilAnswering();
        return server;
      } catch (err) {
        await server.stop();
        if (attempt === START_ATTEMPTS) throw err;
      }
    }
  }

  /** `ip:port`, as `dns_servers` takes it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Rewrites the hosts file and reloads it (SIGHUP); resolves once dnsmasq has read it again. */
  async setHosts(hosts: HostsMap): Promise<void> {
    const reads = this.hostsReads();
    writeHosts(this.hostsFile, hosts);
    this.child.kill('SIGHUP');
    await waitFor('dnsmasq to reload its hosts file', () => this.hostsReads() > reads);
  }

  async stop(): Promise<void> {
    if (this.running) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private get hostsFile(): string {
    return join(this.dir, 'hosts');
  }

  /** dnsmasq logs "read FILE - N names" each time it reads the hosts file. */
  private hostsReads(): number {
    return this.output.split(`read ${this.hostsFile} `).length - 1;
  }

  private async waitUntilAnswering(): Promise<void> {
    const resolver = new Resolver({ timeout: 200, tries: 1 });
    resolver.setServers([this.address]);
    await waitFor(`dnsmasq on ${this.address}`, async () => {
      if (!this.running) throw new Error(`dnsmasq exited: ${this.output.trim()}`);
      const probe = await resolver.resolve4(`ready.${this.domain}`).then(() => 'answered', (err: NodeJS.ErrnoException) => err.code);
      return probe === 'answered' || probe === 'ENOTFOUND';
    });
  }
}

function dnsmasqArgs(hostsFile: string, port: number, domain: string, ttl: number): string[] {
  const args = [
    '--keep-in-foreground', '--log-facility=-', '--conf-file=/dev/null', '--pid-file=',
    '--no-resolv', '--no-hosts', `--addn-hosts=${hostsFile}`, `--local=/${domain}/`, `--local-ttl=${ttl}`,
    `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces',
  ];
  // As root dnsmasq would switch to the user "nobody", who cannot read the test's files.
  if (process.getuid?.() === 0) args.push('--user=root');
  return args;
}

function writeHosts(file: string, hosts: HostsMap): void {
  const lines = Object.entries(hosts).flatMap(([name, ips]) => ips.map((ip) => `${ip} ${name}`));
  writeFileSync(file, lines.map((line) => `${line}\n`).join(''));
}
