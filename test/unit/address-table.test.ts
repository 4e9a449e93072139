import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressTable, apportion } from '../../src/backend/address-table.js';

interface Fake {
  name: string;
  healthy: boolean;
}

const addresses = (...names: string[]): Fake[] => names.map((name) => ({ name, healthy: true }));

/** How many of `clients` consecutive client ids each address gets. */
function spread(table: AddressTable<Fake>, clients: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let id = 0; id < clients; id++) {
    const name = table.pick(id)!.name;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

describe('address table', () => {
  it('has nothing to pick before the server has an address', () => {
    const table = new AddressTable<Fake>();
    assert.equal(table.pick(7), undefined);
    table.rebuild([]);
    assert.equal(table.pick(7), undefined);
  });

  it('spreads clients evenly over the addresses, each client always on the same one', () => {
    const table = new AddressTable<Fake>();
    table.rebuild(addresses('a', 'b', 'c'));
    assert.deepEqual([...spread(table, 300).values()], [100, 100, 100]);
    assert.equal(table.pick(41), table.pick(41));
  });

  it('spreads the clients of one address over its connections', () => {
    const table = new AddressTable<Fake>();
    table.rebuild(addresses('a', 'b', 'c'));
    const slots = new Set<number>();
    for (let id = 0; id < 12; id++) if (table.pick(id)!.name === 'a') slots.add(table.slot(id) % 4);
    assert.deepEqual([...slots].sort(), [0, 1, 2, 3]);
  });

  it('leaves out unhealthy addresses once rebuilt, and takes them back', () => {
    const set = addresses('a', 'b', 'c');
    const table = new AddressTable<Fake>();
    table.rebuild(set);
    set[1]!.healthy = false;
    table.rebuild(set);
    assert.deepEqual([...spread(table, 100).entries()], [['a', 50], ['c', 50]]);
    set[1]!.healthy = true;
    table.rebuild(set);
    assert.equal(spread(table, 99).get('b'), 33);
  });

  it('routes to every address when none is healthy, so requests fail at a server', () => {
    const set = addresses('a', 'b');
    for (const address of set) address.healthy = false;
    const table = new AddressTable<Fake>();
    table.rebuild(set);
    assert.deepEqual(table.routed.map((address) => address.name), ['a', 'b']);
  });

  it('takes a new set as a whole: joined addresses get clients, left ones none', () => {
    const table = new AddressTable<Fake>();
    table.rebuild(addresses('a', 'b', 'c'));
    table.rebuild(addresses('b', 'c', 'd', 'e'));
    assert.deepEqual([...spread(table, 400).entries()].sort(), [['b', 100], ['c', 100], ['d', 100], ['e', 100]]);
  });
});

describe('address table, per request by share', () => {
  it('gives each address its share of every 1000 requests, whatever the client', () => {
    const table = new AddressTable<Fake>();
    const all = addresses('a', 'b', 'c', 'd', 'e', 'f');
    table.rebuildWeighted(all, [50, 10, 10, 10, 10, 10]);
    const counts = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const name = table.pick(7)!.name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(counts), { a: 500, b: 100, c: 100, d: 100, e: 100, f: 100 });
  });

  it('interleaves the slots: any 100 requests in a row hold each share to within 2%', () => {
    const table = new AddressTable<Fake>();
    table.rebuildWeighted(addresses('a', 'b', 'c'), [80, 10, 10]);
    const picks = Array.from({ length: 2000 }, () => table.pick(1)!.name);
    for (let start = 0; start + 100 <= picks.length; start += 7) {
      const window = picks.slice(start, start + 100);
      const a = window.filter((name) => name === 'a').length;
      const b = window.filter((name) => name === 'b').length;
      assert.ok(a >= 78 && a <= 82 && b >= 8 && b <= 12, `requests ${start}..${start + 99}: a ${a}, b ${b}`);
    }
  });

  it('keeps shares to 0.1% (largest remainders)', () => {
    assert.deepEqual(apportion([63.934, 14.208, 10.929, 10.929], 1000), [640, 142, 109, 109]);
    assert.deepEqual(apportion([100 / 3, 100 / 3, 100 / 3], 1000), [334, 333, 333]);
    assert.deepEqual(apportion([0, 0], 1000), [0, 0]);
  });

  it('routes nothing to an address with share 0, and lists only the others as routed', () => {
    const table = new AddressTable<Fake>();
    const all = addresses('a', 'b', 'c');
    table.rebuildWeighted(all, [100, 0, 0]);
    assert.deepEqual(table.routed.map((a) => a.name), ['a']);
    for (let i = 0; i < 50; i++) assert.equal(table.pick(i)!.name, 'a');
  });

  it('with no share at all (no healthy address) falls back to every address, per client', () => {
    const table = new AddressTable<Fake>();
    const all = addresses('a', 'b');
    for (const address of all) address.healthy = false;
    table.rebuildWeighted(all, [0, 0]);
    assert.equal(table.routed.length, 2);
    assert.equal(table.pick(3), table.pick(3));
  });

  it('spreads one client over the connections of each address', () => {
    const table = new AddressTable<Fake>();
    table.rebuildWeighted(addresses('a', 'b'), [50, 50]);
    assert.equal(table.slot(5), 5);
    assert.equal(table.slot(6), 6);
  });
});
