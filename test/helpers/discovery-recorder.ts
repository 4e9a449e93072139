// The address layer's side of discovery, for the tests: health per IP, and what it was told.
import type { Address, AddressChange } from '../../src/discovery/address-set.js';
import type { DiscoveryContext } from '../../src/discovery/host-discovery.js';
import type { LookupError } from '../../src/discovery/resolver.js';

export class DiscoveryRecorder implements DiscoveryContext {
  readonly changes: AddressChange[] = [];
  readonly failures: LookupError[] = [];
  /** IPs the test says are unhealthy. */
  readonly down = new Set<string>();

  isHealthy(address: Address): boolean {
    return !this.down.has(address.ip);
  }

  addressesChanged(change: AddressChange): void {
    this.changes.push(change);
  }

  lookupFailed(error: LookupError): void {
    this.failures.push(error);
  }
}
