import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAILURE_LATENCY_US, LATENCY_SMOOTHING, LatencyEstimator } from '../../src/backend/latency-estimator.js';

describe('latency estimator', () => {
  it('is not measured until the first sample, which it takes as is', () => {
    const estimator = new LatencyEstimator();
    assert.equal(estimator.measured, false);
    estimator.record(1500);
    assert.equal(estimator.measured, true);
    assert.equal(estimator.micros, 1500);
  });

  it('smooths: one outlier moves it by the smoothing factor only', () => {
    const estimator = new LatencyEstimator();
    estimator.record(1000);
    estimator.record(11000);
    assert.equal(estimator.micros, 1000 + LATENCY_SMOOTHING * 10000);
  });

  it('follows a step change: within 10% of the new value after 7 samples', () => {
    const estimator = new LatencyEstimator();
    estimator.record(20000);
    let samples = 0;
    while (estimator.micros > 1000 + 0.1 * 19000 && samples < 100) {
      estimator.record(1000);
      samples++;
    }
    assert.equal(samples, 7);
  });

  it('counts a failure as slow, never as fast, even a fast one', () => {
    const estimator = new LatencyEstimator();
    estimator.record(200);
    estimator.recordFailure(50);
    assert.equal(estimator.micros, FAILURE_LATENCY_US);
    const slow = new LatencyEstimator();
    slow.record(3_000_000);
    slow.recordFailure(10);
    assert.equal(slow.micros, 3_000_000);
    const unmeasured = new LatencyEstimator();
    unmeasured.recordFailure();
    assert.equal(unmeasured.measured, true, 'an address that only fails is measured as slow');
    assert.equal(unmeasured.micros, FAILURE_LATENCY_US);
  });

  it('starts afresh with the first round trip after failures', () => {
    const estimator = new LatencyEstimator();
    estimator.record(5000);
    estimator.recordFailure();
    estimator.recordFailure(2_000_000);
    assert.equal(estimator.micros, 2_000_000);
    estimator.record(800);
    assert.equal(estimator.micros, 800);
    estimator.record(1800);
    assert.equal(estimator.micros, 800 + LATENCY_SMOOTHING * 1000);
  });
});
