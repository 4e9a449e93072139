// The resolver over node:dns against real DNS servers: the project's own (dns-server.ts) for
// rotations, TTLs, error codes and silence, and Debian's dnsmasq serving a hosts file it reloads.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { getaddrinfoLookup, NodeResolver } from '../../src/discovery/node-resolver.js';
import { LookupError, type HostAnswer, type LookupFailure } from '../../src/discovery/resolver.js';
import { DnsServer } from '../helpers/dns-server.js';
import { Dnsmasq } from '../helpers/dnsmasq.js';
import { waitFor } from '../helpers/ports.js';

const ips = (answer: HostAnswer): string[] => answer.addresses.map((address) => address.ip);

async function failureOf(resolution: Promise<unknown>): Promise<{ failure: LookupFailure; message: string }> {
  const err = await resolution.then(() => assert.fail('the lookup succeeded'), (error: unknown) => error);
  assert.ok(err instanceof LookupError, `a LookupError, got ${String(err)}`);
  return { failure: err.failure, message: err.message };
}

describe('node resolver against the test DNS server', () => {
  let dns: DnsServer;
  let resolver: NodeResolver;
  const dir = mkdtempSync(join(tmpdir(), 'nutcracker-resolver-'));
  const emptyHosts = join(dir, 'no-hosts');

  before(async () => {
    dns = await DnsServer.start();
    resolver = new NodeResolver({ dnsServers: [dns.address], timeoutMs: 300, tries: 1, hostsFile: emptyHosts });
  });
  after(async () => {
    await dns?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives every A and AAAA record, with families and the smallest TTL', async () => {
    dns.answer('cache.test', ['127.0.0.2', '127.0.0.3', 'fd00::2'], { ttl: 17 });
    const answer = await resolver.resolve('cache.test');
    assert.deepEqual(answer.addresses, [{ ip: '127.0.0.2', family: 4 }, { ip: '127.0.0.3', family: 4 }, { ip: 'fd00::2', family: 6 }]);
    assert.equal(answer.ttlSeconds, 17);
    assert.equal(dns.queries('cache.test'), 2, 'one A and one AAAA query');
  });

  it('sees a name with only IPv6 records', async () => {
    dns.answer('v6only.test', ['fd00::7'], { ttl: 3 });
    assert.deepEqual((await resolver.resolve('v6only.test')).addresses, [{ ip: 'fd00::7', family: 6 }]);
  });

  it('a round-robin endpoint answers one address per lookup, each in turn', async () => {
    dns.answer('reader-ro.test', ['127.0.0.2', '127.0.0.3', '127.0.0.4'], { pick: 'round-robin', ttl: 5 });
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push(...ips(await resolver.resolve('reader-ro.test')));
    assert.deepEqual(seen, ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.2', '127.0.0.3', '127.0.0.4']);
  });

  it('a random endpoint answers one of its addresses per lookup, and in time all of them', async () => {
    const replicas = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
    dns.answer('aurora-ro.test', replicas, { pick: 'random', ttl: 5 });
    const seen = new Set<string>();
    for (let i = 0; i < 200 && seen.size < replicas.length; i++) {
      const answer = ips(await resolver.resolve('aurora-ro.test'));
      assert.equal(answer.length, 1);
      assert.ok(replicas.includes(answer[0]!));
      seen.add(answer[0]!);
    }
    assert.equal(seen.size, replicas.length);
  });

  it('SERVFAIL, NXDOMAIN, REFUSED and no records are failures that say what and where', async () => {
    dns.fail('broken.test', 'SERVFAIL');
    dns.fail('refusing.test', 'REFUSED');
    dns.answer('empty.test', []);
    const servfail = await failureOf(resolver.resolve('broken.test'));
    assert.equal(servfail.failure, 'SERVFAIL');
    assert.match(servfail.message, new RegExp(`'broken.test'.*SERVFAIL.*${dns.address}`));
    const nxdomain = await failureOf(resolver.resolve('unknown.test'));
    assert.equal(nxdomain.failure, 'NXDOMAIN');
    assert.match(nxdomain.message, /check the host name in the servers: line/);
    assert.equal((await failureOf(resolver.resolve('refusing.test'))).failure, 'REFUSED');
    assert.equal((await failureOf(resolver.resolve('empty.test'))).failure, 'NODATA');
  });

  it('a nameserver that does not reply is a TIMEOUT', async () => {
    dns.silence('slow.test');
    const timeout = await failureOf(resolver.resolve('slow.test'));
    assert.equal(timeout.failure, 'TIMEOUT');
    assert.match(timeout.message, new RegExp(`'slow.test' failed: no answer within 300 ms \\(nameservers: ${dns.address}\\); check dns_servers`));
  });

  it('cancel ends a lookup in flight at once', async () => {
    dns.silence('hanging.test');
    const patient = new NodeResolver({ dnsServers: [dns.address], timeoutMs: 5000, tries: 1, hostsFile: emptyHosts });
    const lookup = failureOf(patient.resolve('hanging.test'));
    await waitFor('the query to reach the server', () => dns.queries('hanging.test') > 0);
    patient.cancel();
    const { failure, message } = await lookup;
    assert.equal(failure, 'CANCELLED');
    assert.match(message, /'hanging.test' failed: the lookup was cancelled/);
  });

  it('a name whose AAAA query fails is a failed lookup, not a smaller set', async () => {
    dns.answer('half.test', ['127.0.0.2']);
    assert.deepEqual(ips(await resolver.resolve('half.test')), ['127.0.0.2']);
    dns.fail('half.test', 'SERVFAIL', { type: 'AAAA' });
    assert.equal((await failureOf(resolver.resolve('half.test'))).failure, 'SERVFAIL');
    dns.silence('half.test', { type: 'AAAA' });
    assert.equal((await failureOf(resolver.resolve('half.test'))).failure, 'TIMEOUT');
  });

  it('follows answers changed at run time', async () => {
    dns.answer('moving.test', ['127.0.0.2']);
    assert.deepEqual(ips(await resolver.resolve('moving.test')), ['127.0.0.2']);
    dns.answer('moving.test', ['127.0.0.3']);
    assert.deepEqual(ips(await resolver.resolve('moving.test')), ['127.0.0.3']);
  });

  it('answers an IP literal itself, without a query', async () => {
    assert.deepEqual((await resolver.resolve('127.0.0.9')).addresses, [{ ip: '127.0.0.9', family: 4 }]);
    assert.deepEqual((await resolver.resolve('::1')).addresses, [{ ip: '::1', family: 6 }]);
    assert.equal(dns.queries('127.0.0.9'), 0);
  });

  it('reads the hosts file first, as getaddrinfo does, and asks DNS for other names', async () => {
    const hostsFile = join(dir, 'hosts');
    writeFileSync(hostsFile, '127.0.0.8 pinned.test\n');
    dns.answer('pinned.test', ['127.0.0.2']);
    dns.answer('other.test', ['127.0.0.3']);
    const withHosts = new NodeResolver({ dnsServers: [dns.address], timeoutMs: 300, tries: 1, hostsFile });
    assert.deepEqual(await withHosts.resolve('pinned.test'), { addresses: [{ ip: '127.0.0.8', family: 4 }], ttlSeconds: undefined });
    assert.equal(dns.queries('pinned.test'), 0);
    assert.deepEqual(ips(await withHosts.resolve('other.test')), ['127.0.0.3']);
  });

  it("resolves localhost from the system's hosts file, which the DNS server does not know", async () => {
    const system = new NodeResolver({ dnsServers: [dns.address], timeoutMs: 300, tries: 1 });
    assert.ok(ips(await system.resolve('localhost')).includes('127.0.0.1'));
    assert.equal(dns.queries('localhost'), 0);
  });

  it('gives a name the nameservers say does not exist to the system lookup (search domains), and only such a name', async () => {
    const asked: string[] = [];
    const systemLookup = async (host: string) => {
      asked.push(host);
      return host === 'redis-0.redis' ? [{ ip: '127.0.0.7', family: 4 as const }] : [];
    };
    const searching = new NodeResolver({ dnsServers: [dns.address], timeoutMs: 300, tries: 1, hostsFile: emptyHosts, systemLookup });
    assert.deepEqual(await searching.resolve('redis-0.redis'), { addresses: [{ ip: '127.0.0.7', family: 4 }], ttlSeconds: undefined });
    assert.equal((await failureOf(searching.resolve('unknown.test'))).failure, 'NXDOMAIN', 'unknown to both');
    dns.fail('flaky.test', 'SERVFAIL');
    dns.answer('noaddress.test', []);
    assert.equal((await failureOf(searching.resolve('flaky.test'))).failure, 'SERVFAIL');
    assert.equal((await failureOf(searching.resolve('noaddress.test'))).failure, 'NODATA');
    dns.answer('known.test', ['127.0.0.2']);
    await searching.resolve('known.test');
    assert.deepEqual(asked, ['redis-0.redis', 'unknown.test']);
  });

  it('with dns_servers, asks only them (no system lookup)', async () => {
    assert.equal((await failureOf(resolver.resolve('localhost'))).failure, 'NXDOMAIN', 'this resolver reads no hosts file');
  });

  it('the system lookup is getaddrinfo', async () => {
    assert.ok((await getaddrinfoLookup('localhost')).some((address) => address.ip === '127.0.0.1' && address.family === 4));
    assert.deepEqual(await getaddrinfoLookup('no-such-name.invalid'), []);
  });

  it('answers over TCP too', async () => {
    dns.answer('tcp.test', ['127.0.0.5'], { ttl: 9 });
    const reply = await queryOverTcp(dns.port, 'tcp.test');
    assert.equal(reply.rcode, 'NOERROR');
    assert.deepEqual(reply.answers?.map((answer) => [answer.type, 'data' in answer ? answer.data : undefined, 'ttl' in answer ? answer.ttl : undefined]), [['A', '127.0.0.5', 9]]);
  });
});

describe('node resolver against dnsmasq', () => {
  let dnsmasq: Dnsmasq;
  let resolver: NodeResolver;
  const dir = mkdtempSync(join(tmpdir(), 'nutcracker-resolver-'));

  before(async () => {
    dnsmasq = await Dnsmasq.start({ 'cache.test': ['127.0.0.2', '127.0.0.3'], 'v6.test': ['fd00::5'] }, { ttl: 7 });
    resolver = new NodeResolver({ dnsServers: [dnsmasq.address], timeoutMs: 300, tries: 1, hostsFile: join(dir, 'no-hosts') });
  });
  after(async () => {
    await dnsmasq?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the hosts file with its TTL', async () => {
    const answer = await resolver.resolve('cache.test');
    assert.deepEqual(ips(answer).sort(), ['127.0.0.2', '127.0.0.3']);
    assert.equal(answer.ttlSeconds, 7);
    assert.deepEqual((await resolver.resolve('v6.test')).addresses, [{ ip: 'fd00::5', family: 6 }]);
  });

  it('answers NXDOMAIN for a name its file lacks', async () => {
    assert.equal((await failureOf(resolver.resolve('missing.test'))).failure, 'NXDOMAIN');
  });

  it('gives the new addresses after the file is rewritten and reloaded', async () => {
    await dnsmasq.setHosts({ 'cache.test': ['127.0.0.2', '127.0.0.3', '127.0.0.4'], 'new.test': ['127.0.0.6'] });
    assert.deepEqual(ips(await resolver.resolve('cache.test')).sort(), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    assert.deepEqual(ips(await resolver.resolve('new.test')), ['127.0.0.6']);
    assert.equal((await failureOf(resolver.resolve('v6.test'))).failure, 'NXDOMAIN', 'a name removed from the file');
  });

  it('once stopped, a lookup fails (the nameserver cannot be reached or does not answer)', async () => {
    await dnsmasq.stop();
    const { failure } = await failureOf(resolver.resolve('cache.test'));
    assert.ok(failure === 'UNREACHABLE' || failure === 'TIMEOUT', failure);
  });
});

/** One A query over TCP (2-byte length prefix), with dns-packet. */
function queryOverTcp(port: number, name: string): Promise<dnsPacket.DecodedPacket & { rcode?: string }> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(new Error('no TCP reply within 2 s')), 2000);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('connect', () => socket.write(dnsPacket.streamEncode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] })));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(dnsPacket.decode(received.subarray(2, 2 + received.readUInt16BE(0))) as dnsPacket.DecodedPacket & { rcode?: string });
    });
  });
}
