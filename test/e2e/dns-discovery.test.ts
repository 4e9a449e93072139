// The discovery stack with real time and real DNS: HostDiscovery over the node:dns resolver,
// pointed at the project's DNS server (a rotating reader endpoint) and at dnsmasq (a hosts file
// that changes, then a nameserver that stops).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoveryConfig, type DiscoveryConfig } from '../../src/discovery/discovery-config.js';
import { HostDiscovery } from '../../src/discovery/host-discovery.js';
import { NegativeCache } from '../../src/discovery/negative-cache.js';
import { NodeResolver } from '../../src/discovery/node-resolver.js';
import { SYSTEM_CLOCK, SYSTEM_TIMERS } from '../../src/util/clock.js';
import { DiscoveryRecorder } from '../helpers/discovery-recorder.js';
import { DnsServer } from '../helpers/dns-server.js';
import { Dnsmasq } from '../helpers/dnsmasq.js';
import { waitFor } from '../helpers/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'nutcracker-discovery-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function discover(host: string, nameserver: string, config: Partial<DiscoveryConfig>) {
  const settings = discoveryConfig(config, [nameserver]);
  const resolver = new NegativeCache(new NodeResolver({ dnsServers: settings.dnsServers, timeoutMs: 300, tries: 1, hostsFile: join(dir, 'no-hosts') }), settings.negativeTtlSeconds * 1000, SYSTEM_CLOCK);
  const recorder = new DiscoveryRecorder();
  const discovery = new HostDiscovery(host, 6379, settings, { resolver, clock: SYSTEM_CLOCK, timers: SYSTEM_TIMERS }, recorder);
  const ips = (): string[] => discovery.set.addresses.map((address) => address.ip).sort();
  return { discovery, recorder, ips };
}

describe('discovery with real DNS', () => {
  it('in cache_mode finds every replica of a reader endpoint that answers one per lookup, within seconds', async () => {
    const dns = await DnsServer.start();
    const { discovery, ips } = discover('cache-ro.test', dns.address, { resolveIntervalSeconds: 30, cacheMode: true });
    try {
      const replicas = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
      dns.answer('cache-ro.test', replicas, { pick: 'round-robin', ttl: 30 });
      discovery.start();
      await waitFor('all three replicas', () => ips().length === 3, 6000);
      assert.deepEqual(ips(), replicas);
    } finally {
      discovery.stop();
      await dns.stop();
    }
  });

  it('follows a hosts file dnsmasq reloads, and keeps the last set when dnsmasq stops', async () => {
    const dnsmasq = await Dnsmasq.start({ 'cache.test': ['127.0.0.2', '127.0.0.3'] }, { ttl: 1 });
    const { discovery, recorder, ips } = discover('cache.test', dnsmasq.address, { resolveIntervalSeconds: 1, negativeTtlSeconds: 1 });
    try {
      discovery.start();
      await waitFor('the first answer', () => ips().length === 2);
      await dnsmasq.setHosts({ 'cache.test': ['127.0.0.3', '127.0.0.4'] });
      await waitFor('the reloaded answer', () => ips().includes('127.0.0.4'), 5000);
      assert.deepEqual(ips(), ['127.0.0.3', '127.0.0.4']);
      const last = recorder.changes.at(-1)!;
      assert.deepEqual(last.joined.map((address) => address.ip), ['127.0.0.4']);
      assert.deepEqual(last.left.map((address) => address.ip), ['127.0.0.2'], 'a normal name: the address gone from DNS leaves (to be drained)');
      await dnsmasq.stop();
      await waitFor('a failed lookup', () => recorder.failures.length > 0, 5000);
      assert.deepEqual(ips(), ['127.0.0.3', '127.0.0.4'], 'the last good set stays');
    } finally {
      discovery.stop();
      await dnsmasq.stop();
    }
  });
});
