// A HostResolver whose answers the unit tests script per name, counting the lookups.
import { LookupError, type HostAnswer, type HostResolver, type IpFamily, type LookupFailure } from '../../src/discovery/resolver.js';

type Script = { ips: string[]; ttlSeconds: number | undefined } | { failure: LookupFailure } | { hang: true };

export class FakeResolver implements HostResolver {
  private readonly scripts = new Map<string, Script>();
  private readonly counts = new Map<string, number>();

  /** From now on `host` answers `ips` (IPv6 when they contain a colon). */
  answer(host: string, ips: string[], ttlSeconds?: number): void {
    this.scripts.set(host, { ips, ttlSeconds });
  }

  fail(host: string, failure: LookupFailure): void {
    this.scripts.set(host, { failure });
  }

  /** From now on lookups of `host` never settle. */
  hang(host: string): void {
    this.scripts.set(host, { hang: true });
  }

  lookups(host: string): number {
    return this.counts.get(host) ?? 0;
  }

  resolve(host: string): Promise<HostAnswer> {
    this.counts.set(host, this.lookups(host) + 1);
    const script = this.scripts.get(host) ?? { failure: 'NXDOMAIN' };
    if ('hang' in script) return new Promise(() => undefined);
    if ('failure' in script) return Promise.reject(new LookupError(host, script.failure, `scripted ${script.failure}`));
    const addresses = script.ips.map((ip) => ({ ip, family: (ip.includes(':') ? 6 : 4) as IpFamily }));
    return Promise.resolve({ addresses, ttlSeconds: script.ttlSeconds });
  }
}
