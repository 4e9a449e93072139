// TLS to the servers, end to end against redis-server on TLS ports, with a CA and certificates made
// by openssl for the test: what works, what is refused (and why, in the log and in the reply), and
// sessions resumed on reconnect.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Nutcracker, poolsYaml, readStats, type PoolSpec } from '../helpers/nutcracker.js';
import { RawClient } from '../helpers/raw-client.js';
import { RedisServer } from '../helpers/redis-server.js';
import { killChild, runCommand, runNutcracker } from '../helpers/process.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { connectNodeClients } from '../helpers/clients.js';
import { TestCa, type CertFiles } from '../helpers/tls-certs.js';
import { freePort, listenOnFreePort, waitFor } from '../helpers/ports.js';
import { createServer as createTlsServer } from 'node:tls';

describe('TLS to the servers', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  /** The test's client certificate, signed by `ca`. */
  let proxyPair: CertFiles;
  /** Certificate for localhost and 127.0.0.1, no client certificate asked. */
  let valid: RedisServer;
  /** Certificate for cache.example.com only. */
  let namedOnly: RedisServer;
  let expired: RedisServer;
  /** Asks for a client certificate signed by `ca`. */
  let mutual: RedisServer;
  /** A plain redis-server, no TLS. */
  let plain: RedisServer;
  let proxy: Nutcracker;
  const servers: RedisServer[] = [];

  before(async () => {
    ca = await TestCa.create();
    otherCa = await TestCa.create('another CA');
    proxyPair = await ca.issue('proxy', { dnsNames: ['nutcracker.test'] });
    const start = async (cert: CertFiles, authClients = false) => {
      const server = await RedisServer.start({ tls: { server: cert, ca: ca.cert, authClients, client: proxyPair } });
      servers.push(server);
      return server;
    };
    valid = await start(await ca.issue('valid', { dnsNames: ['localhost'], ips: ['127.0.0.1'] }));
    namedOnly = await start(await ca.issue('named', { dnsNames: ['cache.example.com'] }));
    expired = await start(await ca.issue('expired', { dnsNames: ['localhost'], expired: true }));
    mutual = await start(await ca.issue('mutual', { dnsNames: ['localhost'] }), true);
    plain = await RedisServer.start();
    servers.push(plain);
    const tls = (extra: Record<string, string | boolean> = {}) => ({ tls_enabled: true, tls_ca_file: ca.cert, ...extra });
    const pools: Record<string, PoolSpec> = {
      byName: { servers: [`localhost:${valid.port}:1`], options: tls() },
      byIp: { servers: [`127.0.0.1:${valid.port}:1`], options: tls() },
      serverName: { servers: [`127.0.0.1:${namedOnly.port}:1`], options: tls({ tls_server_name: 'cache.example.com' }) },
      ipNotInCert: { servers: [`127.0.0.1:${namedOnly.port}:1`], options: tls() },
      wrongName: { servers: [`localhost:${namedOnly.port}:1`], options: tls() },
      unverified: { servers: [`localhost:${namedOnly.port}:1`], options: tls({ tls_verify_peer: false }) },
      unknownCa: { servers: [`localhost:${valid.port}:1`], options: { tls_enabled: true, tls_ca_file: otherCa.cert } },
      expired: { servers: [`localhost:${expired.port}:1`], options: tls() },
      mutual: { servers: [`localhost:${mutual.port}:1`], options: tls({ tls_cert_file: proxyPair.cert, tls_key_file: proxyPair.key }) },
      noClientCert: { servers: [`localhost:${mutual.port}:1`], options: tls() },
      plainPort: { servers: [`localhost:${plain.port}:1`], options: tls() },
    };
    proxy = await Nutcracker.start(pools, ['-v', '6']);
  });

  after(async () => {
    await proxy?.destroy();
    for (const server of servers) await server.destroy();
    ca?.destroy();
    otherCa?.destroy();
  });

  /** One command through the pool on a fresh connection; the reply as text. */
  async function through(pool: string, ...args: string[]): Promise<string> {
    const client = await RawClient.connect(proxy.port(pool));
    try {
      return await client.command(...args);
    } finally {
      client.close();
    }
  }

  async function serverErrors(pool: string): Promise<number> {
    const stats = await readStats(proxy.statsPort);
    const servers = stats[pool] as Record<string, unknown>;
    const server = Object.values(servers).find((value): value is Record<string, number> => typeof value === 'object' && value !== null);
    return server!.server_err!;
  }

  /** The request fails with an error naming TLS and the reason, the log says why, and it counts as a server error. */
  async function assertRefused(pool: string, reason: RegExp): Promise<void> {
    const before = await serverErrors(pool);
    const reply = await through(pool, 'SET', `${pool}:key`, 'value');
    assert.match(reply, /^-ERR TLS handshake failed: /, `${pool}: ${reply}`);
    assert.match(reply, reason, `${pool}: ${reply}`);
    assert.match(reply, /\r\n$/);
    assert.match(proxy.output, new RegExp(`server '[^']+' of pool '${pool}' closed: TLS handshake failed: ${reason.source}`));
    await waitFor(`${pool}'s server_err to count the failure`, async () => (await serverErrors(pool)) > before);
  }

  it('works with a valid chain and name, through a name that resolves to 127.0.0.1, for redis-cli and the Node.js clients', async () => {
    const cli = await runCommand('redis-cli', ['-p', String(proxy.port('byName')), 'SET', 'tls:cli', 'from redis-cli']);
    assert.equal(cli.stdout.trim(), 'OK', cli.stderr);
    assert.equal(await valid.command('GET', 'tls:cli'), '$14\r\nfrom redis-cli\r\n');
    const clients = await connectNodeClients(proxy.port('byName'));
    try {
      await clients.nodeRedis.set('tls:node', 'node-redis');
      assert.equal(await clients.ioredis.get('tls:node'), 'node-redis');
      assert.deepEqual(await clients.ioredis.mget('tls:cli', 'tls:node', 'tls:none'), ['from redis-cli', 'node-redis', null]);
    } finally {
      clients.close();
    }
    assert.match(proxy.output, /connected to server 'localhost:\d+' of pool 'byName' at [^ ]+ over TLSv1\.3/);
  });

  it('works with a server written as an IP when the certificate is for that IP', async () => {
    assert.equal(await through('byIp', 'SET', 'tls:ip', '1'), '+OK\r\n');
  });

  it('sends tls_server_name as SNI, and the host name of a server written as a name; no SNI for an IP', async () => {
    const seen: (string | false | null)[] = [];
    const sniServer = createTlsServer({ cert: readFileSync(proxyPair.cert), key: readFileSync(proxyPair.key) }, (socket) => {
      seen.push(socket.servername);
      socket.end('+OK\r\n');
    });
    const port = await listenOnFreePort(sniServer, '127.0.0.1');
    const sniProxy = await Nutcracker.start({
      named: { servers: [`127.0.0.1:${port}:1`], options: { tls_enabled: true, tls_verify_peer: false, tls_server_name: 'cache.example.com' } },
      host: { servers: [`localhost:${port}:1`], options: { tls_enabled: true, tls_verify_peer: false } },
      ip: { servers: [`127.0.0.1:${port}:1`], options: { tls_enabled: true, tls_verify_peer: false } },
    });
    try {
      for (const pool of ['named', 'host', 'ip']) {
        const client = await RawClient.connect(sniProxy.port(pool));
        assert.equal(await client.command('GET', 'k'), '+OK\r\n');
        client.close();
      }
      assert.deepEqual(seen, ['cache.example.com', 'localhost', false]);
    } finally {
      await sniProxy.destroy();
      sniServer.close();
    }
  });

  it('checks tls_server_name, not the IP connected to', async () => {
    assert.equal(await through('serverName', 'SET', 'tls:sni', '1'), '+OK\r\n');
    assert.equal(await namedOnly.command('GET', 'tls:sni'), '$1\r\n1\r\n');
    await assertRefused('ipNotInCert', /the server's certificate is not for this name \(.*IP: 127\.0\.0\.1 is not in the cert's list/);
  });

  it('refuses a certificate for another name, and logs why; works with tls_verify_peer false', async () => {
    await assertRefused('wrongName', /the server's certificate is not for this name \(.*Host: localhost\. is not in the cert's altnames: DNS:cache\.example\.com\).*set 'tls_server_name'/);
    assert.equal(await through('unverified', 'SET', 'tls:unverified', '1'), '+OK\r\n');
    assert.match(proxy.output, /of pool 'unverified' at [^ ]+ over TLSv1\.3 \(certificate not verified: tls_verify_peer is false\)/);
  });

  it('refuses a certificate signed by a CA it does not trust', async () => {
    await assertRefused('unknownCa', /the server's certificate is not signed by a trusted CA \(.*\): set 'tls_ca_file' to the CA that signs it/);
  });

  it('refuses an expired certificate', async () => {
    await assertRefused('expired', /the server's certificate has expired \(CERT_HAS_EXPIRED\)/);
  });

  it('presents the configured client certificate where the server requires one, and says so when none is configured', async () => {
    assert.equal(await through('mutual', 'SET', 'tls:mutual', '1'), '+OK\r\n');
    assert.equal(await mutual.command('GET', 'tls:mutual'), '$1\r\n1\r\n');
    // TLS 1.3: the client's side of the handshake is done before the server checks the certificate.
    const reply = await through('noClientCert', 'SET', 'tls:nocert', '1');
    assert.match(reply, /^-ERR TLS error: the server refused the handshake \(tlsv13 alert certificate required\); .*set 'tls_cert_file' and 'tls_key_file'/);
    assert.equal(await mutual.command('EXISTS', 'tls:nocert'), ':0\r\n');
  });

  it('gives up on a port that does not speak TLS (redis waits for the rest of an inline command) after 10 s', async () => {
    const client = await RawClient.connect(proxy.port('plainPort'));
    try {
      client.write('*3\r\n$3\r\nSET\r\n$9\r\ntls:plain\r\n$1\r\n1\r\n');
      const [reply] = await client.replies(1, 15000);
      assert.equal(reply, '-ERR TLS handshake failed: the server sent nothing for 10 s during the handshake: is this its TLS port?\r\n');
    } finally {
      client.close();
    }
    assert.equal(await plain.command('EXISTS', 'tls:plain'), ':0\r\n');
  });

  it('resumes the TLS session when it reconnects', async () => {
    assert.equal(await through('byName', 'SET', 'tls:resume', '1'), '+OK\r\n');
    const killed = await valid.command('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    assert.match(killed, /^:[1-9]/);
    await waitFor('the proxy to see its connection closed', () => /server 'localhost:\d+' of pool 'byName' closed/.test(proxy.output));
    assert.equal(await through('byName', 'GET', 'tls:resume'), '$1\r\n1\r\n');
    assert.match(proxy.output, /connected to server 'localhost:\d+' of pool 'byName' at [^ ]+ over TLSv1\.3 \(session resumed\)/);
  });
});

describe('a TLS server that does not accept the connection', () => {
  it('gives up on the TCP connect after 10 s with "Connection timed out"', async () => {
    // A listener with a full accept queue that never accepts: Linux drops the next SYNs, so a connect hangs.
    const port = await freePort();
    const listener = spawn('/usr/bin/python3', ['-c',
      `import socket, time\ns = socket.socket()\ns.bind(("127.0.0.1", ${port}))\ns.listen(0)\nprint("listening", flush=True)\ntime.sleep(60)`],
    { stdio: ['ignore', 'pipe', 'ignore'] });
    const fillers: Socket[] = [];
    let proxy: Nutcracker | null = null;
    try {
      await new Promise((resolve) => listener.stdout!.once('data', resolve));
      for (let i = 0; i < 4; i++) fillers.push(connect({ host: '127.0.0.1', port }).on('error', () => undefined));
      await waitFor('the accept queue to be full', () => fillers.filter((socket) => !socket.connecting).length >= 1);
      proxy = await Nutcracker.start({ pool: { servers: [`localhost:${port}:1`], options: { tls_enabled: true } } });
      const client = await RawClient.connect(proxy.port('pool'));
      try {
        client.write('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
        const [reply] = await client.replies(1, 15000);
        assert.equal(reply, '-ERR Connection timed out\r\n');
      } finally {
        client.close();
      }
    } finally {
      await proxy?.destroy();
      for (const socket of fillers) socket.destroy();
      await killChild(listener);
    }
  });
});

describe('a memcached pool over TLS', () => {
  it('works against memcached -Z with a valid certificate, and refuses one for another name', async () => {
    const ca = await TestCa.create();
    const port = await freePort();
    let memcached: ChildProcess | null = null;
    let proxy: Nutcracker | null = null;
    try {
      const cert = await ca.issue('memcached', { dnsNames: ['localhost'] });
      memcached = spawn('memcached', ['-u', 'root', '-l', '127.0.0.1', '-p', String(port), '-U', '0', '-Z',
        '-o', `ssl_chain_cert=${cert.cert},ssl_key=${cert.key}`], { stdio: 'ignore' });
      const started = memcached;
      await waitFor('memcached with TLS', async () => {
        if (started.exitCode !== null) throw new Error(`memcached exited with ${started.exitCode}`);
        return RawClient.connectTls(port, '127.0.0.1', { rejectUnauthorized: false }).then((client) => (client.close(), true), () => false);
      });
      const memcache = { redis: false, tls_enabled: true, tls_ca_file: ca.cert };
      proxy = await Nutcracker.start({
        good: { servers: [`localhost:${port}:1`], options: memcache },
        wrong: { servers: [`localhost:${port}:1`], options: { ...memcache, tls_server_name: 'cache.example.com' } },
      });
      const good = await RawClient.connect(proxy.port('good'));
      try {
        good.write('set tls:mc 0 0 5\r\nhello\r\nget tls:mc\r\n');
        await good.until(() => good.data.includes('END\r\n'), 5000);
        assert.equal(good.data, 'STORED\r\nVALUE tls:mc 0 5\r\nhello\r\nEND\r\n');
      } finally {
        good.close();
      }
      const wrong = await RawClient.connect(proxy.port('wrong'));
      try {
        wrong.write('get tls:mc\r\n');
        await wrong.until(() => wrong.data.endsWith('\r\n'), 5000);
        assert.match(wrong.data, /^SERVER_ERROR TLS handshake failed: the server's certificate is not for this name/);
      } finally {
        wrong.close();
      }
    } finally {
      await proxy?.destroy();
      await killChild(memcached);
      ca.destroy();
    }
  });
});

describe('the conf/nutcracker.tls.yml example', () => {
  it('works as written against TLS redis-servers (their addresses, and tls_ca_file for the test CA, filled in), its warm connections open before the first request', async () => {
    const ca = await TestCa.create();
    const shards: RedisServer[] = [];
    let proxy: Nutcracker | null = null;
    try {
      const example = readFileSync(fileURLToPath(new URL('../../../conf/nutcracker.tls.yml', import.meta.url)), 'utf8');
      const password = /redis_auth: (\S+)/.exec(example)![1]!;
      const cert = await ca.issue('cache', { dnsNames: ['localhost'] });
      for (let i = 0; i < 2; i++) {
        shards.push(await RedisServer.start({ args: ['--requirepass', password], tls: { server: cert, ca: ca.cert, authClients: false } }));
      }
      const port = await freePort();
      let shard = 0;
      const yaml = example
        .replace('listen: 127.0.0.1:22121', `listen: 127.0.0.1:${port}`)
        .replace(/^(\s+)tls_enabled: true$/m, `$1tls_enabled: true\n$1tls_ca_file: ${ca.cert}`)
        .replace(/^(\s+- )\S+:6379:1/gm, (_line, dash: string) => `${dash}localhost:${shards[shard++]!.port}:1`);
      assert.equal(shard, 2, 'the example has two servers');
      proxy = await Nutcracker.startConfig(yaml, { 'secure-cache': port });
      const warm = Number(/connection_warming: (\d+)/.exec(example)![1]);
      for (const server of shards) {
        await waitFor(`${warm} warm TLS connections on ${server.port}`, async () =>
          Number(/connected_clients:(\d+)/.exec(await server.command('INFO', 'clients'))![1]) - 1 === warm);
      }
      const client = await RawClient.connect(port);
      try {
        assert.equal(await client.command('AUTH', password), '+OK\r\n');
        for (let i = 0; i < 20; i++) assert.equal(await client.command('SET', `order:${i}`, String(i)), '+OK\r\n');
        assert.equal(await client.command('GET', 'order:7'), '$1\r\n7\r\n');
      } finally {
        client.close();
      }
      for (const server of shards) assert.notEqual(await server.command('DBSIZE'), ':0\r\n', 'both shards hold keys');
    } finally {
      await proxy?.destroy();
      for (const server of shards) await server.destroy();
      ca.destroy();
    }
  });
});

describe('TLS files checked by -t and at start', () => {
  let ca: TestCa;
  let dir: string;
  before(async () => {
    ca = await TestCa.create();
    dir = mkdtempSync(join(tmpdir(), 'nutcracker-tls-conf-'));
  });
  after(() => {
    ca?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A config file whose pool has these TLS keys; its path. */
  function config(name: string, tls: Record<string, string>): string {
    const file = join(dir, `${name}.yml`);
    writeFileSync(file, poolsYaml({ pool: { listen: '127.0.0.1:22199', servers: ['localhost:6390:1'], options: { tls_enabled: true, ...tls } } }));
    return file;
  }

  it('refuses an unreadable CA file and a key that is not the certificate\'s, with the line, from -t and at start', async () => {
    const client = await ca.issue('client');
    const other = await ca.issue('other');
    const missing = join(dir, 'no-such-ca.pem');
    const cases: [string, Record<string, string>, RegExp][] = [
      ['unreadable', { tls_ca_file: missing },
        new RegExp(`unreadable\\.yml:5: key 'tls_ca_file' in pool 'pool' names '${missing}', which cannot be read \\(ENOENT`)],
      ['mismatched', { tls_cert_file: client.cert, tls_key_file: other.key },
        /mismatched\.yml:6: key 'tls_key_file' in pool 'pool' names '.*other\.key', whose key is not the one of the certificate in '.*client\.crt'/],
    ];
    for (const [name, tls, problem] of cases) {
      const file = config(name, tls);
      for (const args of [['-t', '-c', file], ['-c', file, '-s', String(await freePort())]]) {
        const result = await runNutcracker(args);
        assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, problem);
        assert.match(result.stderr, /syntax is invalid/);
      }
    }
    const good = config('good', { tls_ca_file: ca.cert, tls_cert_file: client.cert, tls_key_file: client.key });
    const result = await runNutcracker(['-t', '-c', good]);
    assert.equal(result.code, 0, result.stderr);
  });
});
