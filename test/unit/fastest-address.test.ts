import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FASTEST_MIN_DWELL_MS, FastestAddress } from '../../src/backend/fastest-address.js';

interface Fake {
  healthy: boolean;
  latencyMicros: number | null;
  failureCount: number;
}

const fakes = (...micros: (number | null)[]): Fake[] => micros.map((latencyMicros) => ({ healthy: true, latencyMicros, failureCount: 0 }));

describe('fastest address', () => {
  it('is the healthy measured address with the lowest latency; -1 when none is measured', () => {
    const fastest = new FastestAddress<Fake>();
    assert.equal(fastest.choose(fakes(null, null), 0), -1);
    assert.equal(fastest.choose(fakes(null, 900, 400), 0), 2);
  });

  it('does not flap between addresses within the margin', () => {
    const addresses = fakes(1000, 1100);
    const fastest = new FastestAddress<Fake>();
    assert.equal(fastest.choose(addresses, 0), 0);
    addresses[1]!.latencyMicros = 850;
    assert.equal(fastest.choose(addresses, 10 * FASTEST_MIN_DWELL_MS), 0, '15% faster is within the 20% margin');
    addresses[1]!.latencyMicros = 960;
    addresses[0]!.latencyMicros = 1000;
    assert.equal(fastest.choose(addresses, 20 * FASTEST_MIN_DWELL_MS), 0);
  });

  it('needs an absolute gain too: 60 us vs 100 us is loopback noise', () => {
    const addresses = fakes(100, 300);
    const fastest = new FastestAddress<Fake>();
    assert.equal(fastest.choose(addresses, 0), 0);
    addresses[0]!.latencyMicros = 160;
    addresses[1]!.latencyMicros = 100;
    assert.equal(fastest.choose(addresses, 10 * FASTEST_MIN_DWELL_MS), 0);
  });

  it('switches to a clearly faster address once the current one has held for the dwell time', () => {
    const addresses = fakes(1000, 5000);
    const fastest = new FastestAddress<Fake>();
    assert.equal(fastest.choose(addresses, 0), 0);
    addresses[1]!.latencyMicros = 500;
    assert.equal(fastest.choose(addresses, FASTEST_MIN_DWELL_MS - 1), 0);
    assert.equal(fastest.choose(addresses, FASTEST_MIN_DWELL_MS), 1);
    addresses[0]!.latencyMicros = 100;
    assert.equal(fastest.choose(addresses, FASTEST_MIN_DWELL_MS + 1), 1, 'the dwell counts from the last switch');
    assert.equal(fastest.choose(addresses, 2 * FASTEST_MIN_DWELL_MS), 0);
  });

  it('leaves an address at once when it turns unhealthy or leaves the set', () => {
    const addresses = fakes(1000, 5000, 9000);
    const fastest = new FastestAddress<Fake>();
    assert.equal(fastest.choose(addresses, 0), 0);
    addresses[0]!.healthy = false;
    assert.equal(fastest.choose(addresses, 1), 1);
    assert.equal(fastest.choose([addresses[2]!, addresses[0]!], 2), 0);
  });

  it('leaves an address at once when its last request failed, before it counts as unhealthy', () => {
    const addresses = fakes(1000, 5000);
    const fastest = new FastestAddress<Fake>();
    assert.equal(fastest.choose(addresses, 0), 0);
    addresses[0]!.failureCount = 1;
    assert.equal(fastest.choose(addresses, 1), 1);
    addresses[1]!.failureCount = 1;
    assert.equal(fastest.choose(addresses, 2), 1, 'with every address failing, the current one stays');
  });
});
