import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSet, describeChange, type Address } from '../../src/discovery/address-set.js';
import type { ResolvedIp } from '../../src/discovery/resolver.js';
import { FakeClock } from '../helpers/fake-clock.js';

const MINUTE = 60_000;
const healthy = (): boolean => true;

function answer(...ips: string[]): ResolvedIp[] {
  return ips.map((ip) => ({ ip, family: ip.includes(':') ? 6 : 4 }));
}

function ips(addresses: readonly Address[]): string[] {
  return addresses.map((address) => address.ip);
}

function unionSet(clock: FakeClock, expirationMs = 5 * MINUTE): AddressSet {
  return new AddressSet('cache-ro.example.com', 6379, { keepUnion: true, expirationMs }, clock);
}

function replaceSet(clock: FakeClock): AddressSet {
  return new AddressSet('cache.example.com', 6379, { keepUnion: false, expirationMs: 5 * MINUTE }, clock);
}

describe('address set: each answer is the whole set (normal names)', () => {
  it('takes the first answer with port, family and the configured host name', () => {
    const set = replaceSet(new FakeClock());
    const change = set.apply(answer('10.0.0.1', 'fd00::1'), healthy);
    assert.deepEqual(change.joined, [
      { ip: '10.0.0.1', port: 6379, family: 4, host: 'cache.example.com' },
      { ip: 'fd00::1', port: 6379, family: 6, host: 'cache.example.com' },
    ]);
    assert.deepEqual(change.left, []);
    assert.equal(change.addresses, set.addresses);
  });

  it('a primary that moved leaves at once: the old address is reported as left, the new one as joined', () => {
    const clock = new FakeClock();
    const set = replaceSet(clock);
    set.apply(answer('10.0.0.1'), healthy);
    const change = set.apply(answer('10.0.0.2'), healthy);
    assert.deepEqual(ips(change.joined), ['10.0.0.2']);
    assert.deepEqual(ips(change.left), ['10.0.0.1']);
    assert.deepEqual(ips(set.addresses), ['10.0.0.2']);
  });

  it('keeps the Address objects and the array of the addresses that stay when nothing changed', () => {
    const set = replaceSet(new FakeClock());
    set.apply(answer('10.0.0.1', '10.0.0.2'), healthy);
    const before = set.addresses;
    const change = set.apply(answer('10.0.0.2', '10.0.0.1'), healthy);
    assert.deepEqual(change.joined, []);
    assert.deepEqual(change.left, []);
    assert.equal(set.addresses, before, 'an unchanged set is the same array (the address table is not rebuilt)');
    const grown = set.apply(answer('10.0.0.1', '10.0.0.2', '10.0.0.3'), healthy);
    assert.equal(grown.addresses[0], before[0]);
    assert.deepEqual(ips(grown.addresses), ['10.0.0.1', '10.0.0.2', '10.0.0.3'], 'joined addresses go after the ones that stay');
  });

  it('counts an address answered twice once', () => {
    const set = replaceSet(new FakeClock());
    assert.deepEqual(ips(set.apply(answer('10.0.0.1', '10.0.0.1'), healthy).joined), ['10.0.0.1']);
  });

  it('ignores health: an unhealthy address still in the answer stays', () => {
    const set = replaceSet(new FakeClock());
    set.apply(answer('10.0.0.1', '10.0.0.2'), healthy);
    const change = set.apply(answer('10.0.0.1', '10.0.0.2'), () => false);
    assert.deepEqual(change.left, []);
  });
});

describe('address set: the union of recent answers (reader endpoints)', () => {
  it('a name answering one address per lookup yields every replica', () => {
    const clock = new FakeClock();
    const set = unionSet(clock);
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1', '10.0.0.2']) set.apply(answer(ip), healthy);
    assert.deepEqual(ips(set.addresses), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  });

  it('an address stays until dns_expiration_minutes after the last answer that contained it', async () => {
    const clock = new FakeClock();
    const set = unionSet(clock, 5 * MINUTE);
    set.apply(answer('10.0.0.1', '10.0.0.2'), healthy);
    await clock.advance(3 * MINUTE);
    set.apply(answer('10.0.0.1'), healthy);
    await clock.advance(2 * MINUTE - 1);
    assert.deepEqual(set.apply(answer('10.0.0.1'), healthy).left, [], '10.0.0.2 was seen 5 min - 1 ms ago');
    await clock.advance(1);
    const change = set.apply(answer('10.0.0.1'), healthy);
    assert.deepEqual(ips(change.left), ['10.0.0.2'], 'seen 5 min ago: expired');
    assert.deepEqual(ips(change.addresses), ['10.0.0.1']);
  });

  it('being answered again renews an address', async () => {
    const clock = new FakeClock();
    const set = unionSet(clock, 5 * MINUTE);
    set.apply(answer('10.0.0.1', '10.0.0.2'), healthy);
    await clock.advance(4 * MINUTE);
    set.apply(answer('10.0.0.2'), healthy);
    await clock.advance(4 * MINUTE);
    const change = set.apply(answer('10.0.0.3'), healthy);
    assert.deepEqual(ips(change.left), ['10.0.0.1']);
    assert.deepEqual(ips(change.addresses), ['10.0.0.2', '10.0.0.3']);
  });

  it('takes fractions of a minute', async () => {
    const clock = new FakeClock();
    const set = unionSet(clock, 0.1 * MINUTE);
    set.apply(answer('10.0.0.1'), healthy);
    await clock.advance(5_999);
    assert.deepEqual(set.apply(answer('10.0.0.2'), healthy).left, []);
    await clock.advance(1);
    assert.deepEqual(ips(set.apply(answer('10.0.0.2'), healthy).left), ['10.0.0.1']);
  });

  it('an address missing from the latest answer that is unhealthy leaves at once', () => {
    const set = unionSet(new FakeClock());
    set.apply(answer('10.0.0.1', '10.0.0.2', '10.0.0.3'), healthy);
    const down = new Set(['10.0.0.2', '10.0.0.3']);
    const change = set.apply(answer('10.0.0.3'), (address) => !down.has(address.ip));
    assert.deepEqual(ips(change.left), ['10.0.0.2'], 'missing and unhealthy: gone; missing and healthy: kept; unhealthy but answered: kept');
    assert.deepEqual(ips(change.addresses), ['10.0.0.1', '10.0.0.3']);
  });

  it('asks about health only for the addresses missing from the answer', () => {
    const set = unionSet(new FakeClock());
    set.apply(answer('10.0.0.1', '10.0.0.2'), healthy);
    const asked: string[] = [];
    set.apply(answer('10.0.0.1'), (address) => {
      asked.push(address.ip);
      return true;
    });
    assert.deepEqual(asked, ['10.0.0.2']);
  });
});

describe('address change log line', () => {
  it('names the host, the count, every address, and what joined and left', () => {
    const set = replaceSet(new FakeClock());
    set.apply(answer('10.0.0.1', '10.0.0.2'), healthy);
    const change = set.apply(answer('10.0.0.2', '10.0.0.3', 'fd00::3'), healthy);
    assert.equal(describeChange('cache.example.com', change),
      "resolved 'cache.example.com' to 3 addresses: 10.0.0.2:6379, 10.0.0.3:6379, [fd00::3]:6379 " +
      '(joined: 10.0.0.3:6379, [fd00::3]:6379; left: 10.0.0.1:6379)');
  });

  it('says "1 address"', () => {
    const set = replaceSet(new FakeClock());
    assert.equal(describeChange('cache.example.com', set.apply(answer('10.0.0.1'), healthy)),
      "resolved 'cache.example.com' to 1 address: 10.0.0.1:6379 (joined: 10.0.0.1:6379)");
  });
});
