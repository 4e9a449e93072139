import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latencyShares, latencyZones, type ShareCandidate, type ShareRules } from '../../src/backend/address-shares.js';

const rules = (latencyWeight: number, zone?: { weight: number; threshold?: number }): ShareRules => ({
  latencyWeight,
  zoneAware: zone !== undefined,
  zoneWeight: zone?.weight ?? 25,
  zoneLatencyThresholdMicros: zone?.threshold ?? 50000,
});

const measured = (...micros: number[]): ShareCandidate[] => micros.map((latencyMicros) => ({ healthy: true, latencyMicros }));

/** Shares rounded to 0.001% so that hand-computed values compare exactly. */
const rounded = (shares: readonly number[]): number[] => shares.map((share) => Math.round(share * 1000) / 1000);

describe('latency shares', () => {
  it('weight 50 with six replicas: 50% to the fastest, 10% to each of the five others (the spec example)', () => {
    const { shares } = latencyShares(measured(900, 400, 1200, 1500, 2000, 800), 1, rules(50));
    assert.deepEqual(rounded(shares), [10, 50, 10, 10, 10, 10]);
  });

  it('weight 80 with three: 80% and 10% twice; weight 100: all to the fastest', () => {
    assert.deepEqual(rounded(latencyShares(measured(1000, 5000, 20000), 0, rules(80)).shares), [80, 10, 10]);
    assert.deepEqual(latencyShares(measured(1000, 5000, 20000), 0, rules(100)).shares, [100, 0, 0]);
  });

  it('weight 0 splits everything among the others', () => {
    assert.deepEqual(latencyShares(measured(1000, 5000, 20000), 0, rules(0)).shares, [0, 50, 50]);
  });

  it('one healthy address gets everything, whatever the weight', () => {
    const candidates = [{ healthy: false, latencyMicros: 100 }, { healthy: true, latencyMicros: 9000 }, { healthy: false, latencyMicros: null }];
    assert.deepEqual(latencyShares(candidates, 1, rules(30)).shares, [0, 100, 0]);
  });

  it('unhealthy addresses get nothing; the others split as if they were not there', () => {
    const candidates = [...measured(1000, 2000), { healthy: false, latencyMicros: 500 }, ...measured(3000)];
    assert.deepEqual(rounded(latencyShares(candidates, 0, rules(80)).shares), [80, 10, 0, 10]);
  });

  it('no healthy address: no shares at all', () => {
    assert.deepEqual(latencyShares([{ healthy: false, latencyMicros: 1 }], -1, rules(80)).shares, [0]);
  });

  it('no address measured yet: the healthy ones share equally', () => {
    const candidates = [{ healthy: true, latencyMicros: null }, { healthy: false, latencyMicros: null }, { healthy: true, latencyMicros: null }];
    assert.deepEqual(latencyShares(candidates, -1, rules(80)).shares, [50, 0, 50]);
  });

  it('weight 60, zone_weight 30: two local and two remote replicas; local shares x1.3, then normalised', () => {
    // Base 60, 13.333 x3; local x1.3: 78 and 17.333; total 122 -> 63.934, 14.208, 10.929, 10.929.
    const result = latencyShares(measured(1000, 2000, 60000, 61000), 0, rules(60, { weight: 30 }));
    assert.deepEqual(rounded(result.shares), [63.934, 14.208, 10.929, 10.929]);
    assert.deepEqual(result.zones, [0, 0, 1, 1]);
  });

  it('weight 40, zone_weight 60: six replicas in three zones of two', () => {
    // Base 40, 12 x5; local x1.6: 64 and 19.2; total 131.2 -> 48.780, 14.634, 9.146 x4.
    const result = latencyShares(measured(500, 800, 60000, 61000, 120000, 125000), 0, rules(40, { weight: 60 }));
    assert.deepEqual(rounded(result.shares), [48.78, 14.634, 9.146, 9.146, 9.146, 9.146]);
    assert.deepEqual(result.zones, [0, 0, 1, 1, 2, 2]);
  });

  it('the local zone is the zone of the chosen fastest, numbered 0 even when another zone is faster now', () => {
    const result = latencyShares(measured(1000, 70000, 71000), 1, rules(50, { weight: 100 }));
    assert.deepEqual(result.zones, [1, 0, 0]);
    // Base 25, 50, 25; local x2: 100, 50; total 175.
    assert.deepEqual(rounded(result.shares), [14.286, 57.143, 28.571]);
  });

  it('every address in one zone: zone_weight changes nothing', () => {
    const result = latencyShares(measured(1000, 2000, 3000), 0, rules(80, { weight: 50 }));
    assert.deepEqual(rounded(result.shares), [80, 10, 10]);
    assert.deepEqual(result.zones, [0, 0, 0]);
  });
});

describe('latency zones', () => {
  it('a zone holds the addresses within the threshold of its fastest, so all are within it of each other', () => {
    // 0, 40 and 80 ms: 40 is within 50 of 0, 80 is not, though it is within 50 of 40.
    assert.deepEqual(latencyZones(measured(80000, 0, 40000), 50000), [1, 0, 0]);
  });

  it('unhealthy and unmeasured addresses have no zone', () => {
    assert.deepEqual(latencyZones([{ healthy: false, latencyMicros: 5 }, { healthy: true, latencyMicros: null }, ...measured(7)], 10), [null, null, 0]);
  });
});
