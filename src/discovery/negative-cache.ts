// `dns_cache_negative_ttl`: a failed lookup is remembered, and given again without asking the
// nameserver, until the TTL has passed. Several servers (or pools) naming one host, and the
// re-resolutions an address failure triggers, then cost one query per TTL, not one each.
import type { Clock } from '../util/clock.js';
import { LookupError, type HostAnswer, type HostResolver } from './resolver.js';

export class NegativeCache implements HostResolver {
  private readonly failures = new Map<string, { error: LookupError; until: number }>();

  constructor(private readonly inner: HostResolver, private readonly ttlMs: number, private readonly clock: Clock) {}

  async resolve(host: string): Promise<HostAnswer> {
    const remembered = this.failures.get(host);
    if (remembered !== undefined) {
      if (this.clock.now() < remembered.until) throw remembered.error;
      this.failures.delete(host);
    }
    try {
      return await this.inner.resolve(host);
    } catch (err) {
      if (err instanceof LookupError && this.ttlMs > 0) this.failures.set(host, { error: err, until: this.clock.now() + this.ttlMs });
      throw err;
    }
  }
}
