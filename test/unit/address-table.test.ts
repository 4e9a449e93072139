import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressTable } from '../../src/backend/address-table.js';

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
