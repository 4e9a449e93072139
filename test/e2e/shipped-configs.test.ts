// Every configuration file shipped in conf/ passes `nutcracker -t`, with no warning, and the cloud
// examples ask for what they say.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { runNutcracker } from '../helpers/process.js';
import { loadConfig } from '../../src/config/load.js';

const CONF = fileURLToPath(new URL('../../../conf/', import.meta.url));

describe('shipped configuration files', () => {
  const files = readdirSync(CONF).filter((name) => name.endsWith('.yml')).sort();

  it('include the cloud examples', () => {
    for (const example of ['nutcracker.managed-redis.yml', 'nutcracker.zone-aware.yml', 'nutcracker.database-reader.yml', 'nutcracker.tls.yml']) {
      assert.ok(files.includes(example), `conf/${example}`);
    }
  });

  for (const file of files) {
    it(`-t accepts conf/${file}`, async () => {
      const result = await runNutcracker(['-t', '-c', join(CONF, file)]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /syntax is ok/);
      assert.doesNotMatch(result.stderr, /warning/);
    });
  }

  it('the examples ask for latency routing, zones and a tcp pool', () => {
    const managed = loadConfig(join(CONF, 'nutcracker.managed-redis.yml'));
    assert.deepEqual(managed.pools.map((pool) => [pool.name, pool.latency.routing]), [['reader', true], ['writer', false]]);
    const zones = loadConfig(join(CONF, 'nutcracker.zone-aware.yml')).pools[0]!.latency;
    assert.deepEqual(zones, { routing: true, latencyWeight: 60, zoneAware: true, zoneWeight: 30, zoneLatencyThresholdMicros: 2000 });
    const database = loadConfig(join(CONF, 'nutcracker.database-reader.yml')).pools[0]!;
    assert.deepEqual([database.protocol, database.listen.text, database.latency.routing], ['tcp', '127.0.0.1:3306', true]);
  });
});
