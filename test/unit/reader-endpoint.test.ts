import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DISCOVERY_DEFAULTS, discoveryConfig } from '../../src/discovery/discovery-config.js';
import { keepsUnion } from '../../src/discovery/reader-endpoint.js';

describe('which names keep the union of answers (dynamic_endpoint)', () => {
  const auto = { dynamicEndpoint: 'auto' as const, latencyRouting: false };

  it('auto: a first label ending in -ro is a reader endpoint', () => {
    assert.equal(keepsUnion('cache-ro.abc123.cache.amazonaws.com', auto), true);
    assert.equal(keepsUnion('cache-rod.example.com', auto), false, '-ro inside the label, not at its end');
    assert.equal(keepsUnion('cache.db-ro.example.com', auto), false, 'only the first label counts');
    assert.equal(keepsUnion('READER-RO.example.com', auto), true, 'without case');
    assert.equal(keepsUnion('reader-ro', auto), true, 'a single-label name');
    assert.equal(keepsUnion('cache.example.com', auto), false);
    assert.equal(keepsUnion('primary-rw.example.com', auto), false);
  });

  it("auto: Aurora's reader endpoint form, a second label starting with cluster-ro-", () => {
    assert.equal(keepsUnion('mydb.cluster-ro-c7tj4example.eu-west-1.rds.amazonaws.com', auto), true);
    assert.equal(keepsUnion('mydb.cluster-c7tj4example.eu-west-1.rds.amazonaws.com', auto), false, "Aurora's writer endpoint");
    assert.equal(keepsUnion('cluster-ro-x.example.com', auto), false, 'cluster-ro- as the first label');
  });

  it('auto: every name of a pool with latency_routing', () => {
    assert.equal(keepsUnion('cache.example.com', { dynamicEndpoint: 'auto', latencyRouting: true }), true);
  });

  it('true and false override the rule both ways', () => {
    assert.equal(keepsUnion('cache.example.com', { dynamicEndpoint: true, latencyRouting: false }), true);
    assert.equal(keepsUnion('cache-ro.example.com', { dynamicEndpoint: false, latencyRouting: false }), false);
    assert.equal(keepsUnion('cache.example.com', { dynamicEndpoint: false, latencyRouting: true }), false);
  });
});

describe('discovery config', () => {
  it("has the spec's defaults", () => {
    assert.deepEqual(discoveryConfig({}), {
      resolveIntervalSeconds: 30, failureThreshold: 3, negativeTtlSeconds: 30, expirationMinutes: 5,
      dynamicEndpoint: 'auto', latencyRouting: false, cacheMode: false, dnsServers: [],
    });
    assert.deepEqual(discoveryConfig({}), { ...DISCOVERY_DEFAULTS });
  });

  it('takes the values a pool sets', () => {
    const config = discoveryConfig({ resolveIntervalSeconds: 5, expirationMinutes: 0.5, dynamicEndpoint: false, cacheMode: true });
    assert.equal(config.resolveIntervalSeconds, 5);
    assert.equal(config.expirationMinutes, 0.5);
    assert.equal(config.dynamicEndpoint, false);
    assert.equal(config.cacheMode, true);
    assert.equal(config.failureThreshold, 3);
  });

  it("uses the global dns_servers unless the pool names its own", () => {
    assert.deepEqual(discoveryConfig({}, ['10.0.0.2']).dnsServers, ['10.0.0.2']);
    assert.deepEqual(discoveryConfig({ dnsServers: [] }, ['10.0.0.2']).dnsServers, ['10.0.0.2']);
    assert.deepEqual(discoveryConfig({ dnsServers: ['10.0.0.3:5353'] }, ['10.0.0.2']).dnsServers, ['10.0.0.3:5353']);
  });
});
