// Names from the hosts file (/etc/hosts), looked up before the nameservers as getaddrinfo does
// with the usual "hosts: files dns": `localhost` and the names an operator pinned there keep
// working as they do with twemproxy. Read without blocking, again only when the file changed.
import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { IpFamily, ResolvedIp } from './resolver.js';

export const SYSTEM_HOSTS_FILE = '/etc/hosts';

export class HostsFile {
  private entries = new Map<string, ResolvedIp[]>();
  private version = '';

  constructor(private readonly path = SYSTEM_HOSTS_FILE) {}

  /** Every address the file gives `host`, in file order; empty when it names none (or is absent). */
  async addresses(host: string): Promise<ResolvedIp[]> {
    await this.refresh();
    return this.entries.get(normalName(host)) ?? [];
  }

  private async refresh(): Promise<void> {
    const info = await stat(this.path).catch(() => undefined);
    const version = info === undefined ? 'absent' : `${info.mtimeMs}:${info.size}`;
    if (version === this.version) return;
    const text = info === undefined ? '' : await readFile(this.path, 'utf8').catch(() => '');
    this.entries = parseHosts(text);
    this.version = version;
  }
}

/** `ip name [alias...]` lines; `#` starts a comment; lines whose first field is not an IP are skipped. */
export function parseHosts(text: string): Map<string, ResolvedIp[]> {
  const entries = new Map<string, ResolvedIp[]>();
  for (const line of text.split('\n')) {
    const [ip, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    const family = isIP(ip ?? '');
    if (family === 0) continue;
    for (const name of names) addEntry(entries, normalName(name), { ip: ip!, family: family as IpFamily });
  }
  return entries;
}

function addEntry(entries: Map<string, ResolvedIp[]>, name: string, address: ResolvedIp): void {
  const known = entries.get(name);
  if (known === undefined) entries.set(name, [address]);
  else if (!known.some((entry) => entry.ip === address.ip)) known.push(address);
}

/** Host names compare without case and without a trailing dot. */
function normalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
