import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionPool, REWARM_INTERVAL_MS, type PoolLimits, type PoolOwner, type PooledConnection } from '../../src/backend/connection-pool.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** A connection that records how it was closed; `use()` sends a request and `answer()` its reply. */
class FakeConnection implements PooledConnection {
  closed = false;
  sent = 0;
  inFlight = 0;
  closing = false;

  constructor(private readonly pool: () => ConnectionPool<FakeConnection>, readonly resp3: boolean) {}

  use(): void {
    this.sent++;
    this.inFlight++;
  }

  answer(): void {
    this.inFlight--;
    if (this.closing && this.inFlight === 0) this.destroy();
  }

  closeWhenAnswered(): void {
    if (this.inFlight === 0) this.destroy();
    else this.closing = true;
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool().forget(this);
  }
}

class Owner implements PoolOwner<FakeConnection> {
  warmable = true;
  readonly opened: FakeConnection[] = [];
  pool!: ConnectionPool<FakeConnection>;

  open(resp3: boolean): FakeConnection {
    const connection = new FakeConnection(() => this.pool, resp3);
    this.opened.push(connection);
    return connection;
  }

  get open_(): FakeConnection[] {
    return this.opened.filter((connection) => !connection.closed);
  }
}

function pool(limits: PoolLimits): { owner: Owner; pool: ConnectionPool<FakeConnection>; clock: FakeClock } {
  const clock = new FakeClock();
  const owner = new Owner();
  owner.pool = new ConnectionPool(owner, limits, clock, clock);
  return { owner, pool: owner.pool, clock };
}

describe('connection pool', () => {
  it('opens a slot when first asked for it, and gives the same connection to the same slot', () => {
    const { owner, pool: p } = pool({ size: 3, warm: 0, idleTimeoutMs: 0 });
    p.start();
    assert.equal(owner.opened.length, 0, 'nothing opened before it is needed');
    const a = p.connection(4, false);
    assert.equal(p.connection(1, false), a, 'slot taken modulo the size');
    assert.notEqual(p.connection(2, false), a);
    assert.notEqual(p.connection(1, true), a, 'RESP3 slots are their own');
    assert.equal(owner.opened.length, 3);
  });

  it('opens the warm connections at start and reopens one that closed, while the address is warmable', async () => {
    const { owner, pool: p, clock } = pool({ size: 4, warm: 2, idleTimeoutMs: 0 });
    p.start();
    assert.equal(owner.open_.length, 2);
    assert.deepEqual(owner.opened.map((c) => c.resp3), [false, false]);
    owner.opened[0]!.destroy();
    owner.warmable = false;
    await clock.advance(REWARM_INTERVAL_MS * 3);
    assert.equal(owner.open_.length, 1, 'not reopened while the address is unhealthy');
    owner.warmable = true;
    await clock.advance(REWARM_INTERVAL_MS);
    assert.equal(owner.open_.length, 2, 'reopened on the next sweep');
  });

  it('closes a connection beyond the warm ones after idleTimeoutMs without a request, never before', async () => {
    const { owner, pool: p, clock } = pool({ size: 3, warm: 1, idleTimeoutMs: 10_000 });
    p.start();
    const warm = p.connection(0, false);
    const busy = p.connection(1, false);
    const idle = p.connection(2, false);
    const resp3 = p.connection(0, true);
    for (let step = 0; step < 9; step++) {
      busy.use();
      busy.answer();
      await clock.advance(1_000);
    }
    assert.ok(!idle.closed && !resp3.closed, 'not closed before the timeout');
    await clock.advance(2_001);
    assert.ok(idle.closed, 'idle beyond the warm ones: closed within a tenth of the timeout after it');
    assert.ok(resp3.closed, 'an idle RESP3 connection too');
    assert.ok(!busy.closed, 'used in the last 10 s: kept');
    assert.ok(!warm.closed, 'a warm connection stays, however idle');
    assert.equal(owner.open_.length, 2);
    assert.notEqual(p.connection(2, false), idle, 'the slot opens a new connection when needed again');
  });

  it('does not close a connection whose request is still waiting for its reply', async () => {
    const { pool: p, clock } = pool({ size: 1, warm: 0, idleTimeoutMs: 1_000 });
    p.start();
    const slow = p.connection(0, false);
    slow.use();
    await clock.advance(5_000);
    assert.ok(!slow.closed, 'a request in flight is use');
    slow.answer();
    await clock.advance(1_000);
    assert.ok(!slow.closed, 'idle only from the sweep that saw it answered');
    await clock.advance(1_200);
    assert.ok(slow.closed);
  });

  it('with idleTimeoutMs 0 and no warm connection, sets no timer at all', () => {
    const { pool: p, clock } = pool({ size: 2, warm: 0, idleTimeoutMs: 0 });
    p.start();
    p.connection(0, false);
    assert.equal(clock.timerCount, 0);
  });

  it('resizes: slots beyond the new size close once answered and the pool is empty only when they have', () => {
    const { pool: p } = pool({ size: 3, warm: 0, idleTimeoutMs: 0 });
    p.start();
    const kept = p.connection(0, false);
    const busy = p.connection(2, false);
    busy.use();
    p.resize(1);
    assert.equal(p.slotCount, 1);
    assert.equal(p.connection(2, false), kept, 'slot 2 is now slot 0');
    assert.ok(!busy.closed, 'its request is answered first');
    kept.destroy();
    assert.equal(p.empty, false, 'the retired connection is still open');
    busy.answer();
    assert.ok(busy.closed);
    assert.equal(p.empty, true);
    p.resize(2);
    assert.notEqual(p.connection(1, false), busy, 'a grown slot opens a new connection');
  });

  it('resizes: a connection beyond the new size with nothing in flight closes at once and leaves the pool', () => {
    const { pool: p } = pool({ size: 2, warm: 0, idleTimeoutMs: 0 });
    p.start();
    p.connection(0, false).destroy();
    const idle = p.connection(1, false);
    p.resize(1);
    assert.ok(idle.closed);
    assert.equal(p.empty, true, 'nothing left open');
  });

  it('parks up to size transaction connections given back, hands out the last one still open, and closes them when idle', async () => {
    const { owner, pool: p, clock } = pool({ size: 2, warm: 0, idleTimeoutMs: 1_000 });
    p.start();
    const [a, b, c] = [owner.open(false), owner.open(false), owner.open(false)];
    assert.equal(p.park(a), true);
    assert.equal(p.park(b), true);
    assert.equal(p.park(c), false, 'no more than size');
    b.destroy();
    assert.equal(p.unpark(), a, 'the closed one is skipped');
    assert.equal(p.unpark(), undefined);
    p.park(a);
    await clock.advance(900);
    assert.ok(!a.closed);
    await clock.advance(300);
    assert.ok(a.closed, 'parked longer than the idle timeout');
    assert.equal(p.unpark(), undefined);
    const d = owner.open(false);
    p.park(d);
    p.drain();
    assert.ok(d.closed, 'drain closes the parked ones');
    assert.equal(p.park(owner.open(false)), false, 'a draining pool parks nothing');
  });

  it('drain closes each connection once answered and stops the sweeps; closeAll closes at once', async () => {
    const { owner, pool: p, clock } = pool({ size: 2, warm: 2, idleTimeoutMs: 1_000 });
    p.start();
    const [first, second] = owner.opened;
    first!.use();
    p.drain();
    assert.ok(second!.closed && !first!.closed);
    await clock.advance(REWARM_INTERVAL_MS * 5);
    assert.equal(owner.opened.length, 2, 'a draining pool reopens nothing');
    first!.answer();
    assert.ok(p.empty);
    assert.equal(clock.timerCount, 0);
    const other = pool({ size: 2, warm: 2, idleTimeoutMs: 0 });
    other.pool.start();
    other.owner.opened[0]!.use();
    other.pool.closeAll();
    assert.equal(other.owner.open_.length, 0);
    assert.equal(other.clock.timerCount, 0);
  });
});
