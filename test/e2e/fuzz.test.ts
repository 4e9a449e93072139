// The standing guard against parser regressions: short seeded fuzz runs (the same inputs every
// time) of the RESP request and reply paths. `npm run fuzz` runs the same for longer, seed random.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SEED, respReplyRun, respRequestRun } from '../fuzz/runs.js';

describe('seeded fuzzing', () => {
  test('mutated RESP requests from many connections: the proxy stays up, honest clients get every reply right', {
    todo: 'needs the fixes for "$-0 accepted and forwarded", "large pipeline reply stalls at 4 MB" and protocol errors that echo a raw CR/LF',
  }, async (t) => {
    const findings = await respRequestRun({ seed: DEFAULT_SEED, durationMs: 3000, count: 3000 });
    const summary = findings.summary('resp requests', DEFAULT_SEED, `npm run fuzz -- --seed ${DEFAULT_SEED} --run requests`);
    t.diagnostic(summary.split('\n')[0]!);
    assert.ok(findings.cases > 100 && findings.checked > 1000, `the run did too little: ${summary}`);
    assert.equal(findings.total, 0, summary);
  });

  test('damaged RESP replies from fake servers: every request gets one reply (an error is fine), never another\'s', {
    todo: 'needs the fix for "a malformed server reply leaves the head request without any reply", and a strict reply parser',
  }, async (t) => {
    const findings = await respReplyRun({ seed: DEFAULT_SEED, durationMs: 3000, count: 150 });
    const summary = findings.summary('resp replies', DEFAULT_SEED, `npm run fuzz -- --seed ${DEFAULT_SEED} --run replies`);
    t.diagnostic(summary.split('\n')[0]!);
    assert.ok(findings.cases > 0 && findings.checked > 500, `the run did too little: ${summary}`);
    assert.equal(findings.total, 0, summary);
  });
});
