// The resolver seam: what the rest of the proxy asks of DNS. Implemented over node:dns
// (node-resolver.ts); the tests pass a fake or point the real one at their own DNS server.

export type IpFamily = 4 | 6;

export interface ResolvedIp {
  ip: string;
  family: IpFamily;
}

/** A successful lookup: never empty. */
export interface HostAnswer {
  addresses: ResolvedIp[];
  /** Smallest record TTL in seconds; undefined when the source has none (hosts file, IP literal). */
  ttlSeconds: number | undefined;
}

/** Why a lookup gave no address. */
export type LookupFailure = 'NXDOMAIN' | 'NODATA' | 'SERVFAIL' | 'REFUSED' | 'TIMEOUT' | 'UNREACHABLE' | 'CANCELLED' | 'ERROR';

export class LookupError extends Error {
  constructor(readonly host: string, readonly failure: LookupFailure, detail: string) {
    super(`DNS lookup of '${host}' failed: ${detail}`);
    this.name = 'LookupError';
  }
}

export interface HostResolver {
  /** The addresses of `host`; rejects with a LookupError when there are none. */
  resolve(host: string): Promise<HostAnswer>;
}
