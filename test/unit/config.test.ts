// Configuration loading: both layouts, twemproxy's defaults and rules, and every kind of problem.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig, parseConfig, type ConfigProblem } from '../../src/config/load.js';
import type { PoolConfig } from '../../src/config/types.js';
import { TestCa, type CertFiles } from '../helpers/tls-certs.js';

const FILE = 'test.yml';

/** A classic redis pool named alpha, with extra option lines (each indented by two spaces). */
function alpha(...options: string[]): string {
  return ['alpha:', '  listen: 127.0.0.1:22121', '  redis: true', ...options.map((o) => `  ${o}`),
    '  servers:', '   - 127.0.0.1:6379:1', ''].join('\n');
}

function onlyPool(text: string): PoolConfig {
  const config = parseConfig(text, FILE);
  assert.equal(config.pools.length, 1);
  return config.pools[0]!;
}

function problemsOf(text: string): ConfigProblem[] {
  try {
    parseConfig(text, FILE);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected the configuration to be refused');
}

/** Asserts that exactly one problem is reported, on `line`, about `key`, matching `pattern`. */
function assertOneProblem(text: string, line: number, key: string, pattern: RegExp): ConfigProblem {
  const problems = problemsOf(text);
  assert.equal(problems.length, 1, `expected one problem, got:\n${problems.map((p) => p.message).join('\n')}`);
  const problem = problems[0]!;
  assert.deepEqual({ file: problem.file, line: problem.line, key: problem.key }, { file: FILE, line, key });
  assert.match(problem.message, pattern);
  return problem;
}

function shipped(name: string): string {
  return fileURLToPath(new URL(`../../../conf/${name}`, import.meta.url));
}

describe('classic layout', () => {
  it('reads a pool with twemproxy 0.5 defaults for every key', () => {
    const pool = onlyPool(alpha());
    assert.deepEqual(pool, {
      name: 'alpha',
      line: 1,
      listen: { kind: 'tcp', host: '127.0.0.1', port: 22121, text: '127.0.0.1:22121' },
      clientConnections: 0,
      hash: 'fnv1a_64',
      hashTag: null,
      distribution: 'ketama',
      timeout: null,
      backlog: 512,
      tcpKeepalive: false,
      preconnect: false,
      protocol: 'redis',
      redisAuth: null,
      redisDb: 0,
      serverConnections: 1,
      autoEjectHosts: false,
      serverRetryTimeout: 30000,
      serverFailureLimit: 2,
      maxRequestBytes: 128 * 1024 * 1024,
      maxReplyBytes: 256 * 1024 * 1024,
      discovery: {
        resolveIntervalSeconds: 30, failureThreshold: 3, negativeTtlSeconds: 30, expirationMinutes: 5,
        dynamicEndpoint: 'auto', latencyRouting: false, cacheMode: false, dnsServers: [],
      },
      pooling: { perAddress: false, warm: 0, idleTimeoutMs: 0 },
      servers: [{ host: '127.0.0.1', port: 6379, weight: 1, name: '127.0.0.1:6379', pname: '127.0.0.1:6379:1', isUnix: false, line: 5 }],
      tls: null,
      latency: { routing: false, latencyWeight: 80, zoneAware: false, zoneWeight: 25, zoneLatencyThresholdMicros: 50000 },
    });
  });

  it('defaults the global options', () => {
    const config = parseConfig(alpha(), FILE);
    assert.equal(config.file, FILE);
    assert.deepEqual(config.global, { workerProcesses: 1, user: null, group: null, dnsServers: [] });
  });

  it('reads every twemproxy key', () => {
    const pool = onlyPool(alpha(
      'hash: murmur', 'hash_tag: "{}"', 'distribution: modula', 'timeout: 400', 'backlog: 1024',
      'client_connections: 100', 'tcpkeepalive: true', 'reuseport: false', 'redis_auth: s3cret', 'redis_db: 3',
      'preconnect: true', 'auto_eject_hosts: true', 'server_connections: 4', 'server_retry_timeout: 2000',
      'server_failure_limit: 5'));
    assert.equal(pool.hash, 'murmur');
    assert.equal(pool.hashTag, '{}');
    assert.equal(pool.distribution, 'modula');
    assert.equal(pool.timeout, 400);
    assert.equal(pool.backlog, 1024);
    assert.equal(pool.clientConnections, 100);
    assert.equal(pool.tcpKeepalive, true);
    assert.equal(pool.redisAuth, 's3cret');
    assert.equal(pool.redisDb, 3);
    assert.equal(pool.preconnect, true);
    assert.equal(pool.autoEjectHosts, true);
    assert.equal(pool.serverConnections, 4);
    assert.equal(pool.serverRetryTimeout, 2000);
    assert.equal(pool.serverFailureLimit, 5);
  });

  it('reads the memory bounds max_request_bytes and max_reply_bytes, and refuses values out of range', () => {
    const pool = onlyPool(alpha('max_request_bytes: 1048576', 'max_reply_bytes: 2097152'));
    assert.equal(pool.maxRequestBytes, 1048576);
    assert.equal(pool.maxReplyBytes, 2097152);
    assertOneProblem(alpha('max_request_bytes: 100'), 4, 'max_request_bytes', /must be a whole number of bytes from 1024 to 1073741824, not '100'/);
    assertOneProblem(alpha('max_request_bytes: 2147483647'), 4, 'max_request_bytes', /from 1024 to 1073741824/);
    assertOneProblem(alpha('max_reply_bytes: 64k'), 4, 'max_reply_bytes', /must be a whole number of bytes from 1024 to 2147483647, not '64k'/);
  });

  it('treats timeout 0 as no timeout, like twemproxy', () => {
    assert.equal(onlyPool(alpha('timeout: 0')).timeout, null);
  });

  it('accepts quoted values, as twemproxy reads every value as text', () => {
    const pool = onlyPool(alpha('timeout: "250"', 'preconnect: "true"', "redis_auth: '123'"));
    assert.equal(pool.timeout, 250);
    assert.equal(pool.preconnect, true);
    assert.equal(pool.redisAuth, '123');
  });

  it('sorts servers by name as twemproxy does (shorter first, then bytewise)', () => {
    const pool = onlyPool(['alpha:', '  listen: 127.0.0.1:22121', '  redis: true', '  servers:',
      '   - 127.0.0.1:6381:1 server10', '   - 127.0.0.1:6380:1 server2', '   - 127.0.0.1:6379:1 server1', ''].join('\n'));
    assert.deepEqual(pool.servers.map((s) => s.name), ['server1', 'server2', 'server10']);
    assert.deepEqual(pool.servers.map((s) => s.line), [7, 6, 5]);
  });

  it('lists pools in twemproxy stats order: by name, shorter first, then bytewise', () => {
    const pools = ['beta', 'alpha', 'z', 'aa'].map((name, i) =>
      `${name}:\n  listen: 127.0.0.1:${22121 + i}\n  redis: true\n  servers:\n   - 127.0.0.1:6379:1\n`).join('');
    assert.deepEqual(parseConfig(pools, FILE).pools.map((p) => p.name), ['z', 'aa', 'beta', 'alpha']);
  });

  it('reads a classic pool that happens to be named "pools"', () => {
    const pool = onlyPool('pools:\n  listen: 127.0.0.1:22121\n  redis: true\n  servers:\n   - 127.0.0.1:6379:1\n');
    assert.equal(pool.name, 'pools');
  });
});

describe('extended layout', () => {
  const extended = (global: string[], pools: string[]): string =>
    ['global:', ...global.map((l) => `  ${l}`), 'pools:', ...pools.map((l) => `  ${l}`), ''].join('\n');
  const beta = ['beta:', '  listen: 127.0.0.1:22122', '  protocol: redis', '  servers:', '   - 127.0.0.1:6380:1'];

  it('reads global options and pools', () => {
    const config = parseConfig(extended(['worker_processes: 1', 'dns_servers: []'], beta), FILE);
    assert.deepEqual(config.global, { workerProcesses: 1, user: null, group: null, dnsServers: [] });
    assert.equal(config.pools.length, 1);
    assert.equal(config.pools[0]!.name, 'beta');
    assert.equal(config.pools[0]!.line, 5);
    assert.equal(config.pools[0]!.protocol, 'redis');
  });

  it('accepts pools: without global:, with global defaults', () => {
    const config = parseConfig(['pools:', ...beta.map((l) => `  ${l}`), ''].join('\n'), FILE);
    assert.deepEqual(config.global, { workerProcesses: 1, user: null, group: null, dnsServers: [] });
    assert.equal(config.pools[0]!.listen.text, '127.0.0.1:22122');
  });

  it("resolves worker_processes 'auto' to the CPU count", () => {
    assert.equal(parseConfig(extended(['worker_processes: auto'], beta), FILE).global.workerProcesses, availableParallelism());
  });

  it('reads worker_processes N, and refuses invalid counts', () => {
    assert.equal(parseConfig(extended(['worker_processes: 4'], beta), FILE).global.workerProcesses, 4);
    assertOneProblem(extended(['worker_processes: 0'], beta), 2, 'worker_processes', /must be 'auto' or a whole number >= 1, not '0'/);
    assertOneProblem(extended(['worker_processes: many'], beta), 2, 'worker_processes', /must be 'auto' or a whole number/);
  });

  it('reads global user and group (whether they exist is checked at start)', () => {
    const config = parseConfig(extended(['user: nobody', 'group: nogroup'], beta), FILE);
    assert.equal(config.global.user, 'nobody');
    assert.equal(config.global.group, 'nogroup');
  });

  it('validates global dns_servers, which every pool without its own uses', () => {
    const config = parseConfig(extended(['dns_servers:', '   - 10.0.0.2', '   - "[fd00::2]:53"', '   - 10.0.0.3:5353'], beta), FILE);
    assert.deepEqual(config.global.dnsServers, ['10.0.0.2', '[fd00::2]:53', '10.0.0.3:5353']);
    assert.deepEqual(config.pools[0]!.discovery.dnsServers, ['10.0.0.2', '[fd00::2]:53', '10.0.0.3:5353']);
    const own = parseConfig(extended(['dns_servers:', '   - 10.0.0.2'], [...beta, '  dns_servers:', '   - 10.0.0.9:5300']), FILE);
    assert.deepEqual(own.pools[0]!.discovery.dnsServers, ['10.0.0.9:5300']);
    const problems = problemsOf(extended(['dns_servers:', '   - dns.example.com', '   - 10.0.0.2:99999'], beta));
    assert.deepEqual(problems.map((p) => p.line), [3, 4]);
    assert.match(problems[0]!.message, /invalid nameserver 'dns\.example\.com': expected "ip" or "ip:port"/);
  });

  it('suggests the closest global key, and says where pool keys belong', () => {
    assertOneProblem(extended(['worker_process: 1'], beta), 2, 'worker_process', /unknown \(did you mean 'worker_processes'\?\)/);
    assertOneProblem(extended(['timeout: 100'], beta), 2, 'timeout', /is a pool option: put it in each pool under 'pools:'/);
  });

  it('refuses other top-level keys beside pools:', () => {
    const poolsOnly = ['pools:', ...beta.map((l) => `  ${l}`), ''].join('\n');
    assertOneProblem(poolsOnly + 'poolz: 1\n', 7, 'poolz', /unknown \(did you mean 'pools'\?\)/);
    assertOneProblem(poolsOnly + 'alpha:\n  listen: 127.0.0.1:1\n', 7, 'alpha', /not allowed beside 'pools:'/);
  });

  it('reports a pools: or global: that is not a mapping', () => {
    assertOneProblem('global: 1\npools:\n  a:\n    listen: 127.0.0.1:1\n    redis: true\n    servers:\n     - 127.0.0.1:2:1\n',
      1, 'global', /'global' must be a mapping/);
    assertOneProblem('global:\n  worker_processes: 1\npools: x\n', 3, 'pools', /'pools' must be a mapping/);
  });

  it('explains a global: without pools: in the classic layout', () => {
    assertOneProblem('global:\n  worker_processes: 1\n' + alpha(), 1, 'global', /'global:' needs a 'pools:' mapping beside it/);
  });
});

describe('listen forms', () => {
  const listen = (value: string): PoolConfig['listen'] => onlyPool(alpha().replace('127.0.0.1:22121', value)).listen;

  it('reads host:port, [ipv6]:port, unbracketed ipv6 and host names', () => {
    assert.deepEqual(listen('0.0.0.0:22121'), { kind: 'tcp', host: '0.0.0.0', port: 22121, text: '0.0.0.0:22121' });
    assert.deepEqual(listen('"[::1]:22121"'), { kind: 'tcp', host: '::1', port: 22121, text: '[::1]:22121' });
    assert.deepEqual(listen('::1:22121'), { kind: 'tcp', host: '::1', port: 22121, text: '::1:22121' });
    assert.deepEqual(listen('localhost:6000'), { kind: 'tcp', host: 'localhost', port: 6000, text: 'localhost:6000' });
  });

  it('reads unix socket paths with and without octal permissions', () => {
    assert.deepEqual(listen('/tmp/n.sock'), { kind: 'unix', path: '/tmp/n.sock', mode: null, text: '/tmp/n.sock' });
    assert.deepEqual(listen('/tmp/n.sock 0666'), { kind: 'unix', path: '/tmp/n.sock', mode: 0o666, text: '/tmp/n.sock 0666' });
    assert.deepEqual(listen('/tmp/n.sock 700'), { kind: 'unix', path: '/tmp/n.sock', mode: 0o700, text: '/tmp/n.sock 700' });
  });

  it('refuses malformed listen values with the reason', () => {
    const refuse = (value: string, pattern: RegExp): ConfigProblem =>
      assertOneProblem(alpha().replace('127.0.0.1:22121', value), 2, 'listen', pattern);
    refuse('127.0.0.1', /has no port/);
    refuse('127.0.0.1:0', /invalid port '0': ports are 1\.\.65535/);
    refuse('127.0.0.1:65536', /invalid port '65536'/);
    refuse('127.0.0.1:http', /invalid port 'http'/);
    refuse('":22121"', /has no host: use 0\.0\.0\.0/);
    refuse('/tmp/n.sock 0888', /invalid socket permissions '0888'/);
    refuse('/tmp/n.sock 1777', /invalid socket permissions '1777'/);
    refuse('/tmp/n.sock rw', /invalid socket permissions 'rw'/);
  });

  it('refuses two pools on one listen address, however it is written', () => {
    const pool = (name: string, address: string): string => `${name}:\n  listen: ${address}\n  redis: true\n  servers:\n   - 127.0.0.1:6379:1\n`;
    const problem = assertOneProblem(pool('a', '"[::1]:22121"') + pool('b', '::1:22121'), 6, 'listen',
      /pool 'b' listens on '::1:22121', like pool 'a' \(line 1\)/);
    assert.match(problem.message, /give each pool its own listen address/);
    assertOneProblem(pool('a', '/tmp/x.sock') + pool('b', '/tmp/x.sock 0600'), 6, 'listen', /like pool 'a'/);
  });
});

describe('validation problems', () => {
  it('suggests the closest key for a misspelt one', () => {
    const problem = assertOneProblem(alpha('auto_reject_hosts: true'), 4, 'auto_reject_hosts',
      /key 'auto_reject_hosts' in pool 'alpha' is unknown \(did you mean 'auto_eject_hosts'\?\)/);
    assert.equal(new ConfigError([problem]).message,
      "test.yml:4: key 'auto_reject_hosts' in pool 'alpha' is unknown (did you mean 'auto_eject_hosts'?)");
    assertOneProblem(alpha('Listen: 127.0.0.1:1'), 4, 'Listen', /did you mean 'listen'/);
    assertOneProblem(alpha('tiemout: 5'), 4, 'tiemout', /did you mean 'timeout'/);
  });

  it('makes no wild guess for a key far from every known one', () => {
    const problem = assertOneProblem(alpha('colour: blue'), 4, 'colour', /is unknown$/);
    assert.doesNotMatch(problem.message, /did you mean/);
  });

  it('says where a global key belongs when it is written in a pool', () => {
    assertOneProblem(alpha('worker_processes: 2'), 4, 'worker_processes', /belongs under 'global:'/);
  });

  it('accepts only true and false as booleans, as twemproxy does', () => {
    assertOneProblem(alpha('preconnect: yes'), 4, 'preconnect', /must be true or false, not 'yes'/);
    assertOneProblem(alpha('tcpkeepalive: True'), 4, 'tcpkeepalive', /must be true or false, not 'True'/);
    assertOneProblem(alpha('auto_eject_hosts: 1'), 4, 'auto_eject_hosts', /must be true or false/);
  });

  it('accepts only decimal digits as numbers, and checks ranges', () => {
    assertOneProblem(alpha('timeout: -1'), 4, 'timeout', /must be a whole number of milliseconds >= 0, not '-1'/);
    assertOneProblem(alpha('backlog: 1e3'), 4, 'backlog', /must be a whole number >= 0, not '1e3'/);
    assertOneProblem(alpha('redis_db: 0x1'), 4, 'redis_db', /not '0x1'/);
    assertOneProblem(alpha('server_retry_timeout: 3000000000'), 4, 'server_retry_timeout', /not '3000000000'/);
    assertOneProblem(alpha('server_connections: 0'), 4, 'server_connections', /must be a whole number of connections >= 1, not '0'/);
  });

  it('refuses an empty value or a list where one value is expected', () => {
    assertOneProblem(alpha('hash:'), 4, 'hash', /key 'hash' in pool 'alpha' has no value/);
    assertOneProblem(alpha('timeout:', '  - 1'), 4, 'timeout', /must be a single value, not a list/);
  });

  it('names the valid hashes and distributions, with the closest one', () => {
    assertOneProblem(alpha('hash: fnv1a64'), 4, 'hash', /must be one of one_at_a_time, .*jenkins, not 'fnv1a64' \(did you mean 'fnv1a_64'\?\)/);
    assertOneProblem(alpha('distribution: ketema'), 4, 'distribution', /must be one of ketama, modula, random, not 'ketema' \(did you mean 'ketama'\?\)/);
  });

  it('checks hash_tag: two characters, quoted', () => {
    assertOneProblem(alpha('hash_tag: "{"'), 4, 'hash_tag', /must be exactly two characters/);
    assertOneProblem(alpha('hash_tag: "{{}}"'), 4, 'hash_tag', /must be exactly two characters/);
    assertOneProblem(alpha('hash_tag: {}'), 4, 'hash_tag', /must be quoted: write hash_tag: "\{\}"/);
    assert.equal(onlyPool(alpha('hash_tag: $$')).hashTag, '$$');
  });

  it('refuses a key written twice in a pool, and a pool name written twice', () => {
    assertOneProblem(alpha('timeout: 1', 'timeout: 2'), 5, 'timeout', /appears twice \(first on line 4\)/);
    const problems = problemsOf(alpha() + alpha().replace('22121', '22122'));
    assert.equal(problems.length, 1);
    assert.deepEqual([problems[0]!.line, problems[0]!.key], [6, 'alpha']);
    assert.match(problems[0]!.message, /key 'alpha' in the top level appears twice \(first on line 1\)/);
  });

  it('refuses servers with the same name, as twemproxy does', () => {
    const text = alpha().replace('   - 127.0.0.1:6379:1', '   - 127.0.0.1:6379:1\n   - 127.0.0.1:6379:2');
    assertOneProblem(text, 6, 'servers', /second server named '127\.0\.0\.1:6379' \(first on line 5\)/);
    const named = alpha().replace('   - 127.0.0.1:6379:1', '   - 127.0.0.1:6379:1 a\n   - 127.0.0.1:6380:1 a');
    assertOneProblem(named, 6, 'servers', /second server named 'a'/);
  });

  it('reports each bad servers entry on its own line', () => {
    const text = alpha().replace('   - 127.0.0.1:6379:1', '   - 127.0.0.1:6379\n   - 127.0.0.1:6380:0\n   - 127.0.0.1:6381:1');
    const problems = problemsOf(text);
    assert.deepEqual(problems.map((p) => [p.line, p.key]), [[5, 'servers'], [6, 'servers']]);
    assert.match(problems[0]!.message, /has an entry '127\.0\.0\.1:6379' which has/);
    assert.match(problems[1]!.message, /zero weight/);
  });

  it('names the pool when listen or servers is missing or empty', () => {
    assertOneProblem('alpha:\n  redis: true\n  servers:\n   - 127.0.0.1:6379:1\n', 1, 'listen', /pool 'alpha' has no 'listen' key/);
    assertOneProblem('alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n', 1, 'servers', /pool 'alpha' has no 'servers' key/);
    assertOneProblem('alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n  servers: []\n', 4, 'servers', /is an empty list/);
    assertOneProblem('alpha:\n  listen: 127.0.0.1:22121\n  redis: true\n  servers: 127.0.0.1:6379:1\n', 4, 'servers', /must be a list/);
  });

  it('refuses a pool that is not a mapping', () => {
    assertOneProblem(alpha() + 'beta: 127.0.0.1:22122\n', 6, 'beta', /pool 'beta' must be a mapping/);
  });

  it('lists every problem at once, in file order', () => {
    const text = ['alpha:', '  listen: 127.0.0.1', '  redis: maybe', '  hsah: crc32', '  servers:', '   - 127.0.0.1:6379:1',
      'beta:', '  redis: true', '  timeout: soon', ''].join('\n');
    const problems = problemsOf(text);
    assert.deepEqual(problems.map((p) => [p.line, p.key]),
      [[2, 'listen'], [3, 'redis'], [4, 'hsah'], [7, 'listen'], [7, 'servers'], [9, 'timeout']]);
    try {
      parseConfig(text, FILE);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message.split('\n').length, 6);
      assert.ok(error.message.split('\n').every((line) => line.startsWith('test.yml:')));
    }
  });
});

describe('protocol: redis and memcache', () => {
  it('accepts protocol: redis in place of redis: true, and both together', () => {
    assert.equal(onlyPool(alpha().replace('redis: true', 'protocol: redis')).protocol, 'redis');
    assert.equal(onlyPool(alpha('protocol: redis')).protocol, 'redis');
  });

  it('reads a pool without redis: as memcached, as twemproxy does', () => {
    assert.equal(onlyPool(alpha().replace('  redis: true\n', '')).protocol, 'memcache');
  });

  it('reads redis: false and protocol: memcache as memcached, alone or together', () => {
    assert.equal(onlyPool(alpha().replace('redis: true', 'redis: false')).protocol, 'memcache');
    assert.equal(onlyPool(alpha().replace('redis: true', 'protocol: memcache')).protocol, 'memcache');
    assert.equal(onlyPool(alpha('protocol: memcache').replace('redis: true', 'redis: false')).protocol, 'memcache');
  });

  it('refuses unknown protocols', () => {
    assertOneProblem(alpha().replace('redis: true', 'protocol: http'), 3, 'protocol', /must be one of redis, memcache, tcp, not 'http'/);
  });

  it('refuses conflicting redis: and protocol:', () => {
    assertOneProblem(alpha('protocol: tcp'), 4, 'protocol', /is 'tcp', which conflicts with 'redis: true' on line 3/);
    assertOneProblem(alpha('protocol: memcache'), 4, 'protocol', /conflicts with 'redis: true'/);
    assertOneProblem(alpha('protocol: redis').replace('redis: true', 'redis: false'), 4, 'protocol', /conflicts with 'redis: false'/);
  });

  it('allows redis_auth only in a redis pool, as twemproxy does', () => {
    const problems = problemsOf(alpha('redis_auth: pw').replace('redis: true', 'redis: false'));
    assert.deepEqual(problems.map((p) => [p.line, p.key]), [[4, 'redis_auth']]);
    assert.match(problems[0]!.message, /only valid in a redis pool/);
  });
});

describe('reuseport', () => {
  it('accepts false and refuses true, which Node.js 20 cannot do', () => {
    assert.equal(onlyPool(alpha('reuseport: false')).name, 'alpha');
    assertOneProblem(alpha('reuseport: true'), 4, 'reuseport', /not supported: Node\.js 20 cannot set SO_REUSEPORT/);
  });
});

describe('protocol: tcp', () => {
  const tcpPool = (...lines: string[]): string => alpha(...lines).replace('redis: true', 'protocol: tcp');

  it('accepts a tcp pool with one server, latency routing included', () => {
    assert.equal(onlyPool(tcpPool()).protocol, 'tcp');
    assert.equal(onlyPool(tcpPool('latency_routing: true')).latency.routing, true);
  });

  it('refuses several servers, since a tcp pool has no key to place', () => {
    const text = tcpPool().replace('   - 127.0.0.1:6379:1', '   - 127.0.0.1:6379:1\n   - 127.0.0.2:6379:1');
    assertOneProblem(text, 4, 'servers', /has 2 servers, but a tcp pool relays each client to one server .*list one server/);
  });

  it('refuses preconnect', () => {
    assertOneProblem(tcpPool('preconnect: true'), 4, 'preconnect', /a tcp pool opens a server connection per client/);
  });

  it('warns of a pool on a database port that says no protocol (it would speak memcached)', () => {
    const onPort = (port: number, protocolLine: string | null): ConfigProblem[] => {
      const text = alpha().replace('22121', String(port)).replace('  redis: true\n', protocolLine === null ? '' : `  ${protocolLine}\n`);
      return parseConfig(text, FILE).warnings;
    };
    const [warning, ...more] = onPort(3306, null);
    assert.deepEqual(more, []);
    assert.deepEqual({ line: warning!.line, key: warning!.key }, { line: 1, key: 'listen' });
    assert.match(warning!.message, /pool 'alpha' listens on port 3306 \(MySQL\/MariaDB\) with neither 'protocol' nor 'redis', so it speaks memcached: add 'protocol: tcp'/);
    assert.match(onPort(5432, null)[0]!.message, /port 5432 \(PostgreSQL\)/);
    assert.deepEqual(onPort(3306, 'protocol: tcp'), []);
    assert.deepEqual(onPort(3306, 'redis: false'), []);
    assert.deepEqual(onPort(22122, null), []);
  });
});

describe('latency routing keys', () => {
  it('defaults to no latency routing, weight 80, no zones, zone_weight 25, threshold 50000 us', () => {
    assert.deepEqual(onlyPool(alpha()).latency,
      { routing: false, latencyWeight: 80, zoneAware: false, zoneWeight: 25, zoneLatencyThresholdMicros: 50000 });
  });

  it('reads each key; latency_routing also keeps the union of DNS answers (dynamic_endpoint auto)', () => {
    const pool = onlyPool(alpha('latency_routing: true', 'latency_weight: 50', 'zone_aware: true', 'zone_weight: 60', 'zone_latency_threshold: 2000'));
    assert.deepEqual(pool.latency, { routing: true, latencyWeight: 50, zoneAware: true, zoneWeight: 60, zoneLatencyThresholdMicros: 2000 });
    assert.equal(pool.discovery.latencyRouting, true);
  });

  it('checks types and ranges', () => {
    assertOneProblem(alpha('latency_weight: 101'), 4, 'latency_weight', /must be a whole number of percent from 0 to 100, not '101'/);
    assertOneProblem(alpha('zone_aware: on'), 4, 'zone_aware', /must be true or false, not 'on'/);
    assertOneProblem(alpha('zone_latency_threshold: -5'), 4, 'zone_latency_threshold', /microseconds/);
    assertOneProblem(alpha('latency_routing: yes'), 4, 'latency_routing', /must be true or false/);
  });

  it('refuses zone_aware without latency_routing, which it would only be ignored by', () => {
    assertOneProblem(alpha('zone_aware: true'), 4, 'zone_aware', /add 'latency_routing: true' or remove zone_aware/);
  });
});

describe('DNS discovery keys', () => {
  it('reads each key of a pool', () => {
    const pool = onlyPool(alpha('dns_resolve_interval: 0', 'dns_failure_threshold: 5', 'dns_cache_negative_ttl: 10',
      'dns_expiration_minutes: 0.25', 'dynamic_endpoint: true', 'dns_servers:', '  - 10.0.0.1:53'));
    assert.deepEqual(pool.discovery, {
      resolveIntervalSeconds: 0, failureThreshold: 5, negativeTtlSeconds: 10, expirationMinutes: 0.25,
      dynamicEndpoint: true, latencyRouting: false, cacheMode: false, dnsServers: ['10.0.0.1:53'],
    });
    assert.equal(onlyPool(alpha('dynamic_endpoint: false')).discovery.dynamicEndpoint, false);
    assert.equal(onlyPool(alpha('dynamic_endpoint: auto')).discovery.dynamicEndpoint, 'auto');
  });

  it('checks types and ranges, saying what is expected', () => {
    assertOneProblem(alpha('dns_failure_threshold: 0'), 4, 'dns_failure_threshold', /failures >= 1/);
    assertOneProblem(alpha('dns_resolve_interval: -1'), 4, 'dns_resolve_interval', /whole number of seconds >= 0/);
    assertOneProblem(alpha('dns_cache_negative_ttl: 1.5'), 4, 'dns_cache_negative_ttl', /whole number of seconds >= 0/);
    assertOneProblem(alpha('dns_expiration_minutes: 0'), 4, 'dns_expiration_minutes', /minutes above 0 \(fractions allowed/);
    assertOneProblem(alpha('dns_expiration_minutes: soon'), 4, 'dns_expiration_minutes', /not 'soon'/);
    assertOneProblem(alpha('dynamic_endpoint: yes'), 4, 'dynamic_endpoint', /must be auto, true or false, not 'yes'/);
    assertOneProblem(alpha('dns_servers:', '  - nope'), 5, 'dns_servers', /invalid nameserver 'nope'/);
  });
});

describe('connection keys', () => {
  it('reads connection_pooling, connection_warming and connection_idle_timeout (seconds, as ms)', () => {
    const pool = onlyPool(alpha('server_connections: 4', 'connection_pooling: true', 'connection_warming: 2', 'connection_idle_timeout: 60'));
    assert.deepEqual(pool.pooling, { perAddress: true, warm: 2, idleTimeoutMs: 60_000 });
    assert.deepEqual(onlyPool(alpha('connection_pooling: true')).pooling, { perAddress: true, warm: 0, idleTimeoutMs: 300_000 });
    assert.equal(onlyPool(alpha('connection_pooling: true', 'connection_idle_timeout: 0')).pooling.idleTimeoutMs, 0);
    assert.deepEqual(onlyPool(alpha('connection_warming: 1')).pooling, { perAddress: false, warm: 1, idleTimeoutMs: 0 });
  });

  it('refuses more warm connections than server_connections, saying how to fix it', () => {
    assertOneProblem(alpha('server_connections: 2', 'connection_warming: 3'), 5, 'connection_warming',
      /is 3, more than server_connections \(2\): .*lower connection_warming or raise server_connections/);
  });

  it('refuses connection_idle_timeout without connection_pooling, which it would not change', () => {
    assertOneProblem(alpha('connection_idle_timeout: 60'), 4, 'connection_idle_timeout',
      /has no effect without 'connection_pooling: true'.*add 'connection_pooling: true' to the pool, or remove the key/);
  });

  it('checks types and ranges', () => {
    assertOneProblem(alpha('connection_pooling: yes'), 4, 'connection_pooling', /must be true or false, not 'yes'/);
    assertOneProblem(alpha('connection_warming: -1'), 4, 'connection_warming', /whole number of connections >= 0/);
    assertOneProblem(alpha('connection_pooling: true', 'connection_idle_timeout: 1m'), 5, 'connection_idle_timeout', /whole number of seconds >= 0/);
  });

  it('refuses them in a tcp pool, whose clients each have a connection of their own', () => {
    const tcp = alpha('connection_warming: 1').replace('redis: true', 'protocol: tcp');
    assertOneProblem(tcp, 4, 'connection_warming', /has no effect in a tcp pool .*: remove it/);
  });

  it('reads cache_mode into the discovery settings', () => {
    assert.equal(onlyPool(alpha('cache_mode: true')).discovery.cacheMode, true);
    assertOneProblem(alpha('cache_mode: 1'), 4, 'cache_mode', /must be true or false, not '1'/);
  });
});

describe('TLS keys', () => {
  let ca: TestCa;
  let client: CertFiles;
  let other: CertFiles;
  before(async () => {
    ca = await TestCa.create();
    client = await ca.issue('client', { dnsNames: ['proxy.example.com'] });
    other = await ca.issue('other');
  });
  after(() => ca?.destroy());

  /** A file in the CA's directory with this text. */
  function file(name: string, text: string): string {
    const path = join(ca.dir, name);
    writeFileSync(path, text);
    return path;
  }

  it('reads the keys and the files they name', () => {
    const pool = onlyPool(alpha('tls_enabled: true', `tls_ca_file: ${ca.cert}`, `tls_cert_file: ${client.cert}`,
      `tls_key_file: ${client.key}`, 'tls_server_name: cache.example.com', 'tls_verify_peer: false'));
    assert.deepEqual(pool.tls, {
      verifyPeer: false, ca: readFileSync(ca.cert), cert: readFileSync(client.cert), key: readFileSync(client.key),
      serverName: 'cache.example.com',
    });
  });

  it('defaults to verifying against the system CAs, without a client certificate', () => {
    assert.deepEqual(onlyPool(alpha('tls_enabled: true')).tls, { verifyPeer: true, ca: null, cert: null, key: null, serverName: null });
    assert.equal(onlyPool(alpha('tls_enabled: false', 'tls_verify_peer: true')).tls, null);
  });

  it('refuses the other tls_* keys without tls_enabled, rather than ignore them', () => {
    for (const option of ['tls_verify_peer: false', `tls_ca_file: ${ca.cert}`, 'tls_server_name: cache.example.com']) {
      const key = option.split(':')[0]!;
      assertOneProblem(alpha(option), 4, key, /has no effect without 'tls_enabled: true': add 'tls_enabled: true' to the pool, or remove the key/);
    }
  });

  it('says which file cannot be read, and why', () => {
    const missing = join(ca.dir, 'missing.pem');
    assertOneProblem(alpha('tls_enabled: true', `tls_ca_file: ${missing}`), 5, 'tls_ca_file',
      new RegExp(`names '${missing}', which cannot be read \\(ENOENT: no such file or directory.*\\): give the path of a readable PEM file`));
    if (process.getuid?.() === 0) return; // root reads any file: the permission case cannot happen
    const locked = file('locked.pem', readFileSync(ca.cert, 'latin1'));
    chmodSync(locked, 0o000);
    assertOneProblem(alpha('tls_enabled: true', `tls_ca_file: ${locked}`), 5, 'tls_ca_file', /cannot be read \(EACCES/);
  });

  it('refuses a CA file that holds no certificate, or a damaged one', () => {
    assertOneProblem(alpha('tls_enabled: true', `tls_ca_file: ${client.key}`), 5, 'tls_ca_file', /holds no PEM certificate/);
    const damaged = file('damaged.pem', readFileSync(ca.cert, 'latin1').replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA'));
    assertOneProblem(alpha('tls_enabled: true', `tls_ca_file: ${damaged}`), 5, 'tls_ca_file', /certificate 1 of 1 cannot be parsed/);
  });

  it('wants a client certificate and its key together, and the key must be the certificate\'s', () => {
    assertOneProblem(alpha('tls_enabled: true', `tls_cert_file: ${client.cert}`), 5, 'tls_cert_file', /needs 'tls_key_file' too/);
    assertOneProblem(alpha('tls_enabled: true', `tls_key_file: ${client.key}`), 5, 'tls_key_file', /needs 'tls_cert_file' too/);
    assertOneProblem(alpha('tls_enabled: true', `tls_cert_file: ${client.cert}`, `tls_key_file: ${other.key}`), 6, 'tls_key_file',
      new RegExp(`names '${other.key}', whose key is not the one of the certificate in '${client.cert}' \\(tls_cert_file, line 5\\)`));
    assertOneProblem(alpha('tls_enabled: true', `tls_cert_file: ${client.key}`, `tls_key_file: ${client.key}`), 5, 'tls_cert_file',
      /whose certificate cannot be parsed .*: give a PEM certificate/);
    assertOneProblem(alpha('tls_enabled: true', `tls_cert_file: ${client.cert}`, `tls_key_file: ${client.cert}`), 6, 'tls_key_file',
      /holds no private key that can be read/);
  });

  it('refuses an encrypted key, whose passphrase the proxy cannot ask for', async () => {
    const encrypted = join(ca.dir, 'encrypted.key');
    const { runCommand } = await import('../helpers/process.js');
    const result = await runCommand('openssl', ['pkey', '-in', client.key, '-aes256', '-passout', 'pass:secret', '-out', encrypted]);
    assert.equal(result.code, 0, result.stderr);
    assertOneProblem(alpha('tls_enabled: true', `tls_cert_file: ${client.cert}`, `tls_key_file: ${encrypted}`), 6, 'tls_key_file',
      /is encrypted, and the proxy cannot ask for its passphrase: give it unencrypted/);
  });

  it('refuses files OpenSSL will not use, such as a client key too small for its security level', async () => {
    const { runCommand } = await import('../helpers/process.js');
    const weak = { cert: join(ca.dir, 'weak.crt'), key: join(ca.dir, 'weak.key') };
    const result = await runCommand('openssl', ['req', '-x509', '-newkey', 'rsa:512', '-nodes', '-keyout', weak.key, '-out', weak.cert,
      '-days', '1', '-subj', '/CN=weak']);
    assert.equal(result.code, 0, result.stderr);
    assertOneProblem(alpha('tls_enabled: true', `tls_cert_file: ${weak.cert}`, `tls_key_file: ${weak.key}`), 4, 'tls_enabled',
      /is true, but OpenSSL cannot use the TLS files given \(.*ee key too small\): check tls_ca_file, tls_cert_file and tls_key_file/);
  });

  it('checks tls_server_name is a host name', () => {
    assert.equal(onlyPool(alpha('tls_enabled: true', 'tls_server_name: 10.0.0.7')).tls?.serverName, '10.0.0.7');
    assertOneProblem(alpha('tls_enabled: true', 'tls_server_name: cache.example.com:6379'), 5, 'tls_server_name', /is not a host name/);
  });

  it('wants a name to check for a unix socket server, unless the peer is not verified', () => {
    const unix = alpha('tls_enabled: true').replace('127.0.0.1:6379:1', '/tmp/redis.sock:1');
    assertOneProblem(unix, 6, 'servers', /has the unix socket '\/tmp\/redis.sock' in a pool with tls_enabled: .*set 'tls_server_name'/);
    assert.equal(onlyPool(unix.replace('tls_enabled: true', 'tls_enabled: true\n  tls_verify_peer: false')).tls?.verifyPeer, false);
    assert.equal(onlyPool(unix.replace('tls_enabled: true', 'tls_enabled: true\n  tls_server_name: redis.local')).tls?.serverName, 'redis.local');
  });
});

describe('file-level problems', () => {
  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf(alpha() + 'beta:\n  listen: "127.0.0.1:1\n');
    assert.ok(problems.length >= 1);
    assert.equal(problems[0]!.line, 8);
    assert.match(problems[0]!.message, /YAML syntax error/);
  });

  it('accepts only one document', () => {
    assertOneProblem(alpha() + '---\n' + alpha(), 6, '', /exactly one YAML document/);
  });

  it('refuses an empty file, a file without pools, or a top level that is not a mapping', () => {
    assertOneProblem('', 0, '', /the file is empty/);
    assertOneProblem('# nothing\n', 0, '', /the file is empty/);
    assertOneProblem('- a\n- b\n', 1, '', /the file is a list/);
    assertOneProblem('pools: {}\n', 0, '', /has no pools/);
  });

  it('reports an unreadable file without a line', () => {
    assert.throws(() => loadConfig('/nonexistent/nutcracker.yml'), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual([error.problems[0]!.line, error.problems[0]!.file], [0, '/nonexistent/nutcracker.yml']);
      assert.match(error.message, /^\/nonexistent\/nutcracker\.yml: cannot read the configuration file: ENOENT/);
      return true;
    });
  });
});

describe('shipped configuration files', () => {
  it('conf/nutcracker.yml: one redis pool on 127.0.0.1:22121 in front of 127.0.0.1:6379', () => {
    const config = loadConfig(shipped('nutcracker.yml'));
    assert.equal(config.pools.length, 1);
    const pool = config.pools[0]!;
    assert.deepEqual(pool.listen, { kind: 'tcp', host: '127.0.0.1', port: 22121, text: '127.0.0.1:22121' });
    assert.equal(pool.protocol, 'redis');
    assert.deepEqual(pool.servers.map((s) => s.pname), ['127.0.0.1:6379:1']);
  });

  it('conf/nutcracker.classic.yml loads', () => {
    const config = loadConfig(shipped('nutcracker.classic.yml'));
    assert.deepEqual(config.pools.map((p) => p.name), ['beta', 'alpha', 'gamma', 'epsilon']);
    assert.equal(config.pools[0]!.hashTag, '{}');
    assert.equal(config.pools[0]!.servers.length, 4);
    assert.equal(config.pools[2]!.protocol, 'memcache');
    assert.deepEqual(config.pools[2]!.servers.map((s) => s.name), ['127.0.0.1', '127.0.0.2']);
  });

  it('conf/nutcracker.extended.yml loads', () => {
    const config = loadConfig(shipped('nutcracker.extended.yml'));
    assert.deepEqual(config.pools.map((p) => p.name), ['cache', 'sessions']);
    assert.equal(config.global.workerProcesses, 1);
  });
});
