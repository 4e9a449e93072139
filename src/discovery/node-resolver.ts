// The resolver over node:dns: c-ares queries (non-blocking, with record TTLs) for A and AAAA,
// sent to `dns_servers` or the system's nameservers. So that names that work with twemproxy
// (getaddrinfo) still work, IP literals answer themselves, the hosts file is read first, and with
// the system's nameservers a name they do not know is given to getaddrinfo (c-ares queries the
// name as written: no resolv.conf search domains, as in Kubernetes' `redis-0.redis`).
import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { HostsFile } from './hosts-file.js';
import { LookupError, type HostAnswer, type HostResolver, type IpFamily, type LookupFailure, type ResolvedIp } from './resolver.js';

export interface NodeResolverOptions {
  /** `ip` or `ip:port` (`[ipv6]:port`) entries; empty = the system's nameservers. */
  dnsServers?: readonly string[];
  /** The first try's timeout in ms; c-ares doubles it at each further try. */
  timeoutMs?: number;
  tries?: number;
  hostsFile?: string;
  /** Asked for a name the nameservers say does not exist; by default getaddrinfo, only without dnsServers. */
  systemLookup?: SystemLookup | false;
}

/** A blocking-resolver lookup (no TTL): empty when it finds nothing. */
export type SystemLookup = (host: string) => Promise<ResolvedIp[]>;

/** getaddrinfo (dns.lookup): search domains, nsswitch. It runs on libuv's thread pool. */
export async function getaddrinfoLookup(host: string): Promise<ResolvedIp[]> {
  const found = await lookup(host, { all: true }).catch(() => []);
  return found.map(({ address, family }) => ({ ip: address, family: family as IpFamily }));
}

const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_TRIES = 2;

interface RecordWithTtl {
  address: string;
  ttl: number;
}

/** One family's query: its records, or why there are none. */
type FamilyResult = { records: RecordWithTtl[]; family: IpFamily } | { failure: LookupFailure; code: string };

export class NodeResolver implements HostResolver {
  private readonly resolver: Resolver;
  private readonly hosts: HostsFile;
  private readonly waitMs: number;
  private readonly systemLookup: SystemLookup | false;

  constructor(options: NodeResolverOptions = {}) {
    const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const tries = options.tries ?? DEFAULT_TRIES;
    this.resolver = new Resolver({ timeout, tries });
    const ownServers = options.dnsServers !== undefined && options.dnsServers.length > 0;
    if (ownServers) this.resolver.setServers([...options.dnsServers!]);
    this.systemLookup = options.systemLookup ?? (ownServers ? false : getaddrinfoLookup);
    this.hosts = new HostsFile(options.hostsFile);
    // c-ares doubles the timeout at each try.
    this.waitMs = timeout * (2 ** tries - 1);
  }

  /** Ends the lookups in flight (at shutdown, so none holds the process); they fail. */
  cancel(): void {
    this.resolver.cancel();
  }

  async resolve(host: string): Promise<HostAnswer> {
    const literal = isIP(host);
    if (literal !== 0) return { addresses: [{ ip: host, family: literal as IpFamily }], ttlSeconds: undefined };
    const pinned = await this.hosts.addresses(host);
    if (pinned.length > 0) return { addresses: pinned, ttlSeconds: undefined };
    const answer = this.answer(host, await Promise.all([this.query(host, 4), this.query(host, 6)]));
    if (answer instanceof LookupError && answer.failure === 'NXDOMAIN' && this.systemLookup !== false) {
      const found = await this.systemLookup(host);
      if (found.length > 0) return { addresses: found, ttlSeconds: undefined };
    }
    if (answer instanceof LookupError) throw answer;
    return answer;
  }

  /** Both families must have been answered (records, no data or no name) for the lookup to count. */
  private answer(host: string, results: FamilyResult[]): HostAnswer | LookupError {
    const addresses: ResolvedIp[] = [];
    let ttlSeconds: number | undefined;
    let failure: LookupFailure = 'NODATA';
    for (const result of results) {
      if ('failure' in result) {
        if (result.failure !== 'NODATA' && result.failure !== 'NXDOMAIN') return this.error(host, result.failure, result.code);
        if (result.failure === 'NXDOMAIN') failure = 'NXDOMAIN';
        continue;
      }
      for (const record of result.records) {
        addresses.push({ ip: record.address, family: result.family });
        ttlSeconds = ttlSeconds === undefined ? record.ttl : Math.min(ttlSeconds, record.ttl);
      }
    }
    return addresses.length === 0 ? this.error(host, failure) : { addresses, ttlSeconds };
  }

  private async query(host: string, family: IpFamily): Promise<FamilyResult> {
    try {
      const records = family === 4 ? await this.resolver.resolve4(host, { ttl: true }) : await this.resolver.resolve6(host, { ttl: true });
      return { records, family };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      return { failure: failureOf(code), code };
    }
  }

  private error(host: string, failure: LookupFailure, code?: string): LookupError {
    const nameservers = this.resolver.getServers().join(', ') || 'the system nameservers';
    return new LookupError(host, failure, `${failureText(failure, code, this.waitMs)} (nameservers: ${nameservers})${FAILURE_HINT[failure]}`);
  }
}

function failureText(failure: LookupFailure, code: string | undefined, waitMs: number): string {
  switch (failure) {
    case 'NXDOMAIN':
      return 'no such name (NXDOMAIN)';
    case 'NODATA':
      return 'the name has no A or AAAA record';
    case 'SERVFAIL':
      return 'the nameserver failed (SERVFAIL)';
    case 'REFUSED':
      return 'the nameserver refused the query (REFUSED)';
    case 'TIMEOUT':
      return `no answer within ${waitMs} ms`;
    case 'UNREACHABLE':
      return 'the nameserver cannot be reached';
    case 'CANCELLED':
      return 'the lookup was cancelled';
    case 'ERROR':
      return `the answer could not be used (${code})`;
  }
}

const FAILURE_HINT: Record<LookupFailure, string> = {
  NXDOMAIN: '; check the host name in the servers: line',
  NODATA: '; check the host name in the servers: line',
  SERVFAIL: '',
  REFUSED: '; check dns_servers',
  TIMEOUT: '; check dns_servers and that the nameserver is up',
  UNREACHABLE: '; check dns_servers and that the nameserver is up',
  CANCELLED: '',
  ERROR: '',
};

function failureOf(code: string): LookupFailure {
  switch (code) {
    case 'ENODATA':
      return 'NODATA';
    case 'ENOTFOUND':
      return 'NXDOMAIN';
    case 'ESERVFAIL':
      return 'SERVFAIL';
    case 'EREFUSED':
      return 'REFUSED';
    case 'ETIMEOUT':
      return 'TIMEOUT';
    case 'ECONNREFUSED':
      return 'UNREACHABLE';
    case 'ECANCELLED':
      return 'CANCELLED';
    default:
      return 'ERROR';
  }
}
