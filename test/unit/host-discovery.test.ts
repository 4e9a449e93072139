import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { discoveryConfig, type DiscoveryConfig } from '../../src/discovery/discovery-config.js';
import { HostDiscovery } from '../../src/discovery/host-discovery.js';
import { NegativeCache } from '../../src/discovery/negative-cache.js';
import type { HostResolver } from '../../src/discovery/resolver.js';
import { DiscoveryRecorder } from '../helpers/discovery-recorder.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeResolver } from '../helpers/fake-resolver.js';

function follow(host: string, config: Partial<DiscoveryConfig>, resolver: HostResolver, clock: FakeClock) {
  const recorder = new DiscoveryRecorder();
  const discovery = new HostDiscovery(host, 6379, discoveryConfig(config), { resolver, clock, timers: clock }, recorder);
  return { discovery, recorder, ips: () => discovery.set.addresses.map((address) => address.ip) };
}

describe('host discovery', () => {
  it('follows a name that changes: joins, leaves, each reported once', async () => {
    const clock = new FakeClock();
    const resolver = new FakeResolver();
    resolver.answer('cache.test', ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    const { discovery, recorder, ips } = follow('cache.test', { resolveIntervalSeconds: 10 }, resolver, clock);
    discovery.start();
    await clock.advance(0);
    assert.deepEqual(ips(), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    resolver.answer('cache.test', ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
    await clock.advance(10_000);
    assert.deepEqual(ips(), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
    await clock.advance(10_000);
    assert.equal(recorder.changes.length, 2, 'an unchanged answer reports nothing');
    assert.deepEqual(recorder.changes[1]!.joined.map((address) => address.ip), ['10.0.0.4']);
    discovery.stop();
  });

  it('a failed lookup keeps the last good set, is reported, and is retried after the negative TTL', async () => {
    const clock = new FakeClock();
    const resolver = new FakeResolver();
    resolver.answer('cache.test', ['10.0.0.1', '10.0.0.2']);
    const { discovery, recorder, ips } = follow('cache.test', { resolveIntervalSeconds: 10, negativeTtlSeconds: 3 }, resolver, clock);
    discovery.start();
    await clock.advance(0);
    for (const failure of ['TIMEOUT', 'SERVFAIL', 'NXDOMAIN'] as const) {
      resolver.fail('cache.test', failure);
      await clock.advance(10_000);
      assert.deepEqual(ips(), ['10.0.0.1', '10.0.0.2'], `after ${failure}`);
      assert.equal(recorder.failures.at(-1)!.failure, failure);
      resolver.answer('cache.test', ['10.0.0.1', '10.0.0.2']);
      const lookups = resolver.lookups('cache.test');
      await clock.advance(3_000);
      assert.equal(resolver.lookups('cache.test'), lookups + 1, 'retried after dns_cache_negative_ttl');
    }
    assert.equal(recorder.changes.length, 1);
    discovery.stop();
  });

  it('a name that does not resolve at start is looked up again until it does (start, heal later)', async () => {
    const clock = new FakeClock();
    const resolver = new FakeResolver();
    resolver.fail('cache.test', 'NXDOMAIN');
    const { discovery, recorder, ips } = follow('cache.test', { resolveIntervalSeconds: 0, negativeTtlSeconds: 5 }, resolver, clock);
    discovery.start();
    await clock.advance(12_000);
    assert.deepEqual(ips(), []);
    assert.equal(recorder.failures.length, 3);
    resolver.answer('cache.test', ['10.0.0.1']);
    await clock.advance(5_000);
    assert.deepEqual(ips(), ['10.0.0.1']);
    assert.equal(clock.timerCount, 0, 'interval 0: no lookup after the first success');
  });

  it('a reader endpoint (-ro) rotating one address per lookup yields every replica; drops the dead missing one', async () => {
    const clock = new FakeClock();
    const resolver = new FakeResolver();
    const { discovery, recorder, ips } = follow('cache-ro.test', { resolveIntervalSeconds: 1, expirationMinutes: 1 }, resolver, clock);
    const replicas = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
    let turn = 0;
    resolver.answer('cache-ro.test', [replicas[0]!]);
    discovery.start();
    for (let second = 1; second <= 6; second++) {
      resolver.answer('cache-ro.test', [replicas[++turn % 3]!]);
      await clock.advance(1_000);
    }
    assert.deepEqual(ips(), replicas);
    recorder.down.add('10.0.0.2');
    resolver.answer('cache-ro.test', ['10.0.0.1']);
    await clock.advance(1_000);
    assert.deepEqual(ips(), ['10.0.0.1', '10.0.0.3'], 'missing and unhealthy: left at once');
    assert.deepEqual(recorder.changes.at(-1)!.left.map((address) => address.ip), ['10.0.0.2']);
    discovery.stop();
  });

  it('in cache_mode a round-robin reader endpoint shows all its replicas within seconds, then follows the TTL', async () => {
    const clock = new FakeClock();
    const replicas = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
    let turn = 0;
    const starts: number[] = [];
    const resolver: HostResolver = {
      resolve: async () => {
        starts.push(clock.now());
        return { addresses: [{ ip: replicas[turn++ % replicas.length]!, family: 4 }], ttlSeconds: 15 };
      },
    };
    const { discovery, ips } = follow('cache-ro.test', { resolveIntervalSeconds: 30, cacheMode: true }, resolver, clock);
    discovery.start();
    await clock.advance(3_000);
    assert.deepEqual(ips(), replicas, 'one lookup a second while each answer brings a new replica');
    await clock.advance(30_000);
    assert.deepEqual(starts, [0, 1_000, 2_000, 3_000, 4_000, 19_000], 'an answer with nothing new: the TTL again');
    discovery.stop();
  });

  it('the same rotation under a normal name follows each answer (a primary moves at once)', async () => {
    const clock = new FakeClock();
    const resolver = new FakeResolver();
    resolver.answer('primary.test', ['10.0.0.1']);
    const { discovery, ips } = follow('primary.test', { resolveIntervalSeconds: 1 }, resolver, clock);
    discovery.start();
    await clock.advance(0);
    resolver.answer('primary.test', ['10.0.0.2']);
    await clock.advance(1_000);
    assert.deepEqual(ips(), ['10.0.0.2']);
    discovery.stop();
  });

  it('dynamic_endpoint: true keeps the union for any name', async () => {
    const clock = new FakeClock();
    const resolver = new FakeResolver();
    resolver.answer('primary.test', ['10.0.0.1']);
    const { discovery, ips } = follow('primary.test', { resolveIntervalSeconds: 1, dynamicEndpoint: true }, resolver, clock);
    discovery.start();
    await clock.advance(0);
    resolver.answer('primary.test', ['10.0.0.2']);
    await clock.advance(1_000);
    assert.deepEqual(ips(), ['10.0.0.1', '10.0.0.2']);
    discovery.stop();
  });

  it('in cache_mode an address failure looks up at once; through the negative cache a recent failure is not asked again', async () => {
    const clock = new FakeClock();
    const inner = new FakeResolver();
    inner.answer('cache.test', ['10.0.0.1']);
    const resolver = new NegativeCache(inner, 30_000, clock);
    const { discovery, recorder, ips } = follow('cache.test', { resolveIntervalSeconds: 30, cacheMode: true }, resolver, clock);
    discovery.start();
    await clock.advance(5_000);
    inner.answer('cache.test', ['10.0.0.2']);
    discovery.addressFailed();
    await clock.advance(0);
    assert.deepEqual(ips(), ['10.0.0.2'], 'looked up at once');
    inner.fail('cache.test', 'SERVFAIL');
    await clock.advance(1_000);
    const asked = inner.lookups('cache.test');
    assert.equal(recorder.failures.length, 1);
    await clock.advance(2_000);
    discovery.addressFailed();
    await clock.advance(0);
    assert.equal(recorder.failures.length, 2, 'looked up again and failed');
    assert.equal(inner.lookups('cache.test'), asked, 'the failure is remembered for dns_cache_negative_ttl, not asked again');
    assert.deepEqual(ips(), ['10.0.0.2']);
    discovery.stop();
  });

  it('an IP literal is its own address and is not looked up again', async () => {
    const clock = new FakeClock();
    const resolver: HostResolver = { resolve: async (host) => ({ addresses: [{ ip: host, family: 4 }], ttlSeconds: undefined }) };
    const { discovery, ips } = follow('10.0.0.9', { resolveIntervalSeconds: 1 }, resolver, clock);
    discovery.start();
    await clock.advance(0);
    assert.deepEqual(ips(), ['10.0.0.9']);
    assert.equal(clock.timerCount, 0);
  });

  it('after stop, a lookup still in flight changes and reports nothing', async () => {
    const clock = new FakeClock();
    let finish: () => void = () => undefined;
    const resolver: HostResolver = {
      resolve: () => new Promise((resolve) => (finish = () => resolve({ addresses: [{ ip: '10.0.0.1', family: 4 }], ttlSeconds: 5 }))),
    };
    const { discovery, recorder, ips } = follow('cache.test', {}, resolver, clock);
    discovery.start();
    discovery.stop();
    finish();
    await clock.advance(60_000);
    assert.deepEqual(ips(), []);
    assert.equal(recorder.changes.length, 0);
    assert.equal(clock.timerCount, 0);
  });
});
