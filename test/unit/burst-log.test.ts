// One log line per burst of a repeated message, then a line that counts the rest.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BurstLog } from '../../src/log/burst-log.js';
import { LOG_DEBUG, LOG_NOTICE, log } from '../../src/log/logger.js';
import { waitFor } from '../helpers/ports.js';

describe('BurstLog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nutcracker-burst-'));
  const file = join(dir, 'log');
  const lines = () => readFileSync(file, 'utf8').split('\n').filter((line) => line !== '').map((line) => line.replace(/^\[[^\]]+\] /, ''));
  before(() => log.setOutput(file));
  after(() => {
    log.setOutput(null);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the first line of a burst, counts the repeats, and writes the next burst\'s first line', async () => {
    const burst = new BurstLog(LOG_NOTICE, 'repeats', 200);
    for (let i = 0; i < 5; i++) burst.write(`message ${i}`);
    assert.deepEqual(lines(), ['message 0']);
    await waitFor('the count line', () => lines().length === 2, 5000);
    assert.deepEqual(lines(), ['message 0', '... and 4 more repeats in 0.2 s, not logged one by one']);
    burst.write('message 5');
    assert.deepEqual(lines().slice(2), ['message 5'], 'a new burst starts with a line');
  });

  it('writes nothing, and counts nothing, below the log level', () => {
    const before = lines().length;
    const burst = new BurstLog(LOG_DEBUG, 'repeats', 200);
    burst.write('hidden');
    burst.write('hidden');
    assert.equal(lines().length, before);
  });
});
