import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nextLookupDelay, ResolveScheduler, type LookupOutcome, type SchedulePolicy } from '../../src/discovery/resolve-scheduler.js';
import { FakeClock } from '../helpers/fake-clock.js';

const policy = (overrides: Partial<SchedulePolicy> = {}): SchedulePolicy => ({ intervalMs: 30_000, negativeTtlMs: 30_000, cacheMode: false, ...overrides });
const ok = (ttlSeconds?: number, joined = false): LookupOutcome => ({ ok: true, ttlSeconds, joined });

describe('next lookup delay', () => {
  it('is the interval after a success, whatever the TTL, outside cache_mode', () => {
    assert.equal(nextLookupDelay(ok(5), policy()), 30_000);
    assert.equal(nextLookupDelay(ok(), policy({ intervalMs: 7_000 })), 7_000);
  });

  it('interval 0 = no lookup after one that succeeded, even in cache_mode', () => {
    assert.equal(nextLookupDelay(ok(5), policy({ intervalMs: 0 })), undefined);
    assert.equal(nextLookupDelay(ok(5), policy({ intervalMs: 0, cacheMode: true })), undefined);
  });

  it('is dns_cache_negative_ttl after a failure, also with interval 0 (start, then heal later)', () => {
    assert.equal(nextLookupDelay({ ok: false }, policy({ negativeTtlMs: 12_000 })), 12_000);
    assert.equal(nextLookupDelay({ ok: false }, policy({ intervalMs: 0, negativeTtlMs: 12_000 })), 12_000);
  });

  it('in cache_mode: no later than the record TTL, never later than the interval', () => {
    assert.equal(nextLookupDelay(ok(5), policy({ cacheMode: true })), 5_000);
    assert.equal(nextLookupDelay(ok(300), policy({ cacheMode: true })), 30_000);
    assert.equal(nextLookupDelay(ok(), policy({ cacheMode: true })), 30_000, 'no TTL (hosts file): the interval');
  });

  it('in cache_mode: 1 s after an answer that brought a new address (to find every replica of a rotating name)', () => {
    assert.equal(nextLookupDelay(ok(30, true), policy({ cacheMode: true })), 1_000);
    assert.equal(nextLookupDelay(ok(30, true), policy()), 30_000, 'not outside cache_mode');
    assert.equal(nextLookupDelay(ok(30, true), policy({ cacheMode: true, intervalMs: 0 })), undefined, 'not with interval 0');
  });

  it('is at least 1 s: TTL 0, interval 0.5 s, negative TTL 0', () => {
    assert.equal(nextLookupDelay(ok(0), policy({ cacheMode: true })), 1_000);
    assert.equal(nextLookupDelay(ok(), policy({ intervalMs: 500 })), 1_000);
    assert.equal(nextLookupDelay({ ok: false }, policy({ negativeTtlMs: 0 })), 1_000);
  });
});

/** A scheduler whose lookups answer what `outcomes` gives next, recording when they start. */
function scheduled(clock: FakeClock, schedule: SchedulePolicy, outcomes: () => LookupOutcome) {
  const starts: number[] = [];
  const scheduler = new ResolveScheduler(async () => {
    starts.push(clock.now());
    return outcomes();
  }, schedule, clock, clock);
  return { scheduler, starts };
}

describe('resolve scheduler', () => {
  it('looks up at start, then every interval', async () => {
    const clock = new FakeClock();
    const { scheduler, starts } = scheduled(clock, policy({ intervalMs: 10_000 }), () => ok());
    scheduler.start();
    await clock.advance(35_000);
    assert.deepEqual(starts, [0, 10_000, 20_000, 30_000]);
    scheduler.stop();
  });

  it('retries a failed lookup after the negative TTL, then goes back to the interval', async () => {
    const clock = new FakeClock();
    const results = [{ ok: false } as const, { ok: false } as const, ok()];
    const { scheduler, starts } = scheduled(clock, policy({ intervalMs: 10_000, negativeTtlMs: 3_000 }), () => results.shift() ?? ok());
    scheduler.start();
    await clock.advance(17_000);
    assert.deepEqual(starts, [0, 3_000, 6_000, 16_000]);
    scheduler.stop();
  });

  it('counts a lookup that throws as failed', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    const scheduler = new ResolveScheduler(async () => {
      starts.push(clock.now());
      throw new Error('boom');
    }, policy({ negativeTtlMs: 2_000 }), clock, clock);
    scheduler.start();
    await clock.advance(4_000);
    assert.deepEqual(starts, [0, 2_000, 4_000]);
    scheduler.stop();
  });

  it('with interval 0 stops after the first success and leaves no timer', async () => {
    const clock = new FakeClock();
    const results = [{ ok: false } as const, ok()];
    const { scheduler, starts } = scheduled(clock, policy({ intervalMs: 0, negativeTtlMs: 5_000 }), () => results.shift() ?? ok());
    scheduler.start();
    await clock.advance(60_000);
    assert.deepEqual(starts, [0, 5_000]);
    assert.equal(clock.timerCount, 0);
  });

  it('in cache_mode follows the TTL each answer gives', async () => {
    const clock = new FakeClock();
    const ttls = [5, 2, 0, 60];
    const { scheduler, starts } = scheduled(clock, policy({ intervalMs: 30_000, cacheMode: true }), () => ok(ttls.shift() ?? 60));
    scheduler.start();
    await clock.advance(40_000);
    assert.deepEqual(starts, [0, 5_000, 7_000, 8_000, 38_000]);
    scheduler.stop();
  });

  it('in cache_mode looks up at once when an address fails, at least 1 s after the last lookup', async () => {
    const clock = new FakeClock();
    const { scheduler, starts } = scheduled(clock, policy({ intervalMs: 30_000, cacheMode: true }), () => ok(30));
    scheduler.start();
    await clock.advance(400);
    scheduler.addressFailed();
    await clock.advance(0);
    assert.deepEqual(starts, [0], 'not within 1 s of the last lookup');
    await clock.advance(600);
    assert.deepEqual(starts, [0, 1_000]);
    await clock.advance(4_000);
    scheduler.addressFailed();
    await clock.advance(0);
    assert.deepEqual(starts, [0, 1_000, 5_000], 'more than 1 s later: at once');
    await clock.advance(30_000);
    assert.deepEqual(starts, [0, 1_000, 5_000, 35_000], 'the interval counts from the last lookup');
    scheduler.stop();
  });

  it('outside cache_mode an address failure does not trigger a lookup', async () => {
    const clock = new FakeClock();
    const { scheduler, starts } = scheduled(clock, policy({ intervalMs: 30_000 }), () => ok());
    scheduler.start();
    await clock.advance(5_000);
    scheduler.addressFailed();
    await clock.advance(5_000);
    assert.deepEqual(starts, [0]);
    scheduler.stop();
  });

  it('starts no second lookup while one is in flight', async () => {
    const clock = new FakeClock();
    let finish: (outcome: LookupOutcome) => void = () => undefined;
    let lookups = 0;
    const scheduler = new ResolveScheduler(() => {
      lookups++;
      return new Promise((resolve) => (finish = resolve));
    }, policy({ intervalMs: 10_000, cacheMode: true }), clock, clock);
    scheduler.start();
    await clock.advance(2_000);
    scheduler.addressFailed();
    await clock.advance(20_000);
    assert.equal(lookups, 1);
    finish(ok(30));
    await clock.advance(10_000);
    assert.equal(lookups, 2, 'the next one comes an interval after the slow one ended');
    scheduler.stop();
  });

  it('resolveNow looks up at once (1 s after the last lookup at the earliest), and again after a lookup in flight', async () => {
    const clock = new FakeClock();
    let finish: (outcome: LookupOutcome) => void = () => undefined;
    const starts: number[] = [];
    const scheduler = new ResolveScheduler(() => {
      starts.push(clock.now());
      return new Promise((resolve) => (finish = resolve));
    }, policy({ intervalMs: 30_000 }), clock, clock);
    scheduler.start();
    await clock.advance(500);
    scheduler.resolveNow();
    await clock.advance(5_000);
    assert.deepEqual(starts, [0], 'the first lookup is still in flight');
    finish(ok(30));
    await clock.advance(999);
    assert.deepEqual(starts, [0], 'at least 1 s after the last start');
    await clock.advance(1);
    assert.deepEqual(starts, [0, 6_500], 'a new lookup right after the one in flight, whose answer may predate the ask');
    finish(ok(30));
    await clock.advance(10_000);
    scheduler.resolveNow();
    await clock.advance(0);
    assert.deepEqual(starts, [0, 6_500, 16_500], 'idle: at once');
    finish(ok(30));
    await clock.advance(30_000);
    assert.deepEqual(starts, [0, 6_500, 16_500, 46_500], 'then the interval');
    scheduler.stop();
  });

  it('stop cancels the timer, and a lookup in flight schedules nothing', async () => {
    const clock = new FakeClock();
    let finish: (outcome: LookupOutcome) => void = () => undefined;
    const scheduler = new ResolveScheduler(() => new Promise((resolve) => (finish = resolve)), policy(), clock, clock);
    scheduler.start();
    scheduler.stop();
    finish(ok());
    await clock.advance(100_000);
    assert.equal(clock.timerCount, 0);
  });
});
