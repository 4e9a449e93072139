import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NegativeCache } from '../../src/discovery/negative-cache.js';
import { LookupError } from '../../src/discovery/resolver.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeResolver } from '../helpers/fake-resolver.js';

describe('negative cache (dns_cache_negative_ttl)', () => {
  it('gives a failed lookup again without asking until the TTL has passed', async () => {
    const clock = new FakeClock();
    const inner = new FakeResolver();
    inner.fail('cache.example.com', 'SERVFAIL');
    const cache = new NegativeCache(inner, 30_000, clock);
    const first = await cache.resolve('cache.example.com').catch((err: unknown) => err);
    assert.ok(first instanceof LookupError && first.failure === 'SERVFAIL');
    inner.answer('cache.example.com', ['10.0.0.1']);
    await clock.advance(29_999);
    const remembered = await cache.resolve('cache.example.com').catch((err: unknown) => err);
    assert.equal(remembered, first, 'the same failure, remembered');
    assert.equal(inner.lookups('cache.example.com'), 1);
    await clock.advance(1);
    const answer = await cache.resolve('cache.example.com');
    assert.deepEqual(answer.addresses, [{ ip: '10.0.0.1', family: 4 }]);
    assert.equal(inner.lookups('cache.example.com'), 2);
  });

  it('remembers per name, and never remembers a success', async () => {
    const clock = new FakeClock();
    const inner = new FakeResolver();
    inner.fail('gone.example.com', 'NXDOMAIN');
    inner.answer('cache.example.com', ['10.0.0.1']);
    const cache = new NegativeCache(inner, 30_000, clock);
    await assert.rejects(cache.resolve('gone.example.com'), LookupError);
    await cache.resolve('cache.example.com');
    await cache.resolve('cache.example.com');
    assert.equal(inner.lookups('cache.example.com'), 2);
  });

  it('with TTL 0 asks every time', async () => {
    const clock = new FakeClock();
    const inner = new FakeResolver();
    inner.fail('cache.example.com', 'TIMEOUT');
    const cache = new NegativeCache(inner, 0, clock);
    await assert.rejects(cache.resolve('cache.example.com'), LookupError);
    await assert.rejects(cache.resolve('cache.example.com'), LookupError);
    assert.equal(inner.lookups('cache.example.com'), 2);
  });
});
