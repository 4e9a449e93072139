// The stats port as twemproxy exporters and dashboards read it: one JSON document to a plain TCP
// connection (nothing sent), the same JSON over HTTP, Prometheus text at /metrics, and counters
// that move with real traffic and real failures.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Nutcracker, NUTCRACKER_MAIN, readStats } from '../helpers/nutcracker.js';
import { RedisServer } from '../helpers/redis-server.js';
import { encode, RawClient } from '../helpers/raw-client.js';
import { freePort, sleep, waitFor } from '../helpers/ports.js';

type Json = Record<string, unknown>;
type Counters = Record<string, number>;

const PROJECT_ROOT = resolve(dirname(NUTCRACKER_MAIN), '../../..');
const VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** Stats read from real twemproxy 0.5 (the field order to match). */
const SAMPLE = JSON.parse(readFileSync(join(PROJECT_ROOT, 'test/fixtures/twemproxy-stats-sample.json'), 'utf8')) as Json;
const SAMPLE_TOP_FIELDS = Object.keys(SAMPLE).slice(0, 7);
const SAMPLE_POOL = SAMPLE['quad'] as Json;
const SAMPLE_POOL_FIELDS = Object.keys(SAMPLE_POOL).slice(0, 6);
const SAMPLE_SERVER_FIELDS = Object.keys(SAMPLE_POOL['127.0.0.1:7001'] as Json);
/** The Prometheus name of each twemproxy field (as the README lists them): counters end in _total. */
const PROMETHEUS_POOL_NAMES: Record<string, string> = {
  client_eof: 'nutcracker_pool_client_eof_total', client_err: 'nutcracker_pool_client_err_total',
  client_connections: 'nutcracker_pool_client_connections', server_ejects: 'nutcracker_pool_server_ejects_total',
  forward_error: 'nutcracker_pool_forward_error_total', fragments: 'nutcracker_pool_fragments_total',
};
const PROMETHEUS_SERVER_NAMES: Record<string, string> = {
  server_eof: 'nutcracker_server_eof_total', server_err: 'nutcracker_server_err_total',
  server_timedout: 'nutcracker_server_timedout_total', server_connections: 'nutcracker_server_connections',
  server_ejected_at: 'nutcracker_server_ejected_timestamp_seconds',
  requests: 'nutcracker_server_requests_total', request_bytes: 'nutcracker_server_request_bytes_total',
  responses: 'nutcracker_server_responses_total', response_bytes: 'nutcracker_server_response_bytes_total',
  in_queue: 'nutcracker_server_in_queue', in_queue_bytes: 'nutcracker_server_in_queue_bytes',
  out_queue: 'nutcracker_server_out_queue', out_queue_bytes: 'nutcracker_server_out_queue_bytes',
};

/**
 * Connects, sends nothing (or `send`), and reads until the proxy closes; fails after 5 s. With
 * `shutdown`, shuts down its sending side right after (as `nc -N` or `shutdown(SHUT_WR)` does).
 */
function readRaw(port: number, send?: string, shutdown = false): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      if (shutdown) socket.end(send ?? '');
      else if (send !== undefined) socket.write(send);
    });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the stats port did not close the connection within 5 s; received: ${text.slice(0, 200)}`));
    }, 5000);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => {
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(text);
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function pool(stats: Json, name: string): Json {
  const value = stats[name];
  assert.ok(typeof value === 'object' && value !== null, `pool '${name}' in stats: ${JSON.stringify(stats)}`);
  return value as Json;
}

function server(stats: Json, poolName: string, serverName: string): Counters {
  const value = pool(stats, poolName)[serverName];
  assert.ok(typeof value === 'object' && value !== null, `server '${serverName}' in pool '${poolName}': ${JSON.stringify(stats)}`);
  return value as Counters;
}

function withoutClock(stats: Json): Json {
  const { uptime: _uptime, timestamp: _timestamp, ...rest } = stats;
  return rest;
}

/** Reads stats until `check` holds on them (the figures refresh every -i ms); returns those stats. */
async function statsWhen(port: number, what: string, check: (stats: Json) => boolean): Promise<Json> {
  let last: Json = {};
  try {
    await waitFor(what, async () => check((last = await readStats(port))), 5000);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last stats: ${JSON.stringify(last)}`);
  }
  return last;
}

describe('stats port: layout', () => {
  let redis: RedisServer[];
  let proxy: Nutcracker;
  before(async () => {
    redis = [await RedisServer.start(), await RedisServer.start(), await RedisServer.start()];
    proxy = await Nutcracker.start({
      alpha: { servers: [`${redis[0]!.address}:1 srv1`, `${redis[1]!.address}:1 srv2`] },
      beta: { servers: [`${redis[2]!.address}:1`] },
    });
  });
  after(async () => {
    await proxy?.destroy();
    for (const server of redis ?? []) await server.destroy();
  });

  it('a plain TCP connection gets one JSON document on one line without sending anything, then is closed', async () => {
    const text = await readRaw(proxy.statsPort);
    assert.doesNotMatch(text.trimEnd(), /\n/, 'one line');
    const stats = JSON.parse(text) as Json;
    assert.equal(stats.service, 'nutcracker');
    assert.equal(stats.source, hostname());
    assert.equal(stats.version, VERSION);
    assert.ok(Number.isInteger(stats.uptime) && (stats.uptime as number) >= 0, `uptime ${stats.uptime}`);
    const now = Date.now() / 1000;
    assert.ok(Number.isInteger(stats.timestamp) && Math.abs((stats.timestamp as number) - now) < 300,
      `timestamp ${stats.timestamp} is unix seconds (now ${now})`);
    assert.ok(Number.isInteger(stats.total_connections));
    assert.ok(Number.isInteger(stats.curr_connections));
  });

  it('has twemproxy\'s fields in twemproxy\'s order: top level, pools, servers by name or host:port', async () => {
    const stats = await readStats(proxy.statsPort);
    const keys = Object.keys(stats);
    assert.deepEqual(keys.slice(0, 7), SAMPLE_TOP_FIELDS);
    assert.deepEqual(keys.slice(7).sort(), ['alpha', 'beta']);

    const expectedServers: Record<string, string[]> = { alpha: ['srv1', 'srv2'], beta: [redis[2]!.address] };
    for (const [poolName, serverNames] of Object.entries(expectedServers)) {
      const poolKeys = Object.keys(pool(stats, poolName));
      assert.deepEqual(poolKeys.slice(0, 6), SAMPLE_POOL_FIELDS, `pool '${poolName}' fields`);
      assert.deepEqual(poolKeys.slice(6).sort(), serverNames, `pool '${poolName}' servers`);
      for (const field of SAMPLE_POOL_FIELDS) assert.ok(Number.isInteger(pool(stats, poolName)[field]), `${poolName}.${field}`);
      for (const name of serverNames) {
        const counters = server(stats, poolName, name);
        assert.deepEqual(Object.keys(counters), SAMPLE_SERVER_FIELDS, `server '${name}' fields`);
        for (const field of SAMPLE_SERVER_FIELDS) assert.ok(Number.isInteger(counters[field]), `${name}.${field}`);
        assert.equal(counters.server_ejected_at, 0, 'never ejected');
      }
    }
  });

  it('a client that sends a non-HTTP line, or shuts down its side at once, also gets the JSON', async () => {
    for (const [send, shutdown] of [['stats\r\n', false], [undefined, true], ['stats\n', true]] as const) {
      const text = await readRaw(proxy.statsPort, send, shutdown);
      assert.ok(text.startsWith('{"service":"nutcracker"'), `send ${JSON.stringify(send)}, shutdown ${shutdown}: got ${JSON.stringify(text.slice(0, 80))}`);
      assert.equal((JSON.parse(text) as Json).service, 'nutcracker');
    }
  });

  it('an HTTP GET gets the same JSON with status 200', async () => {
    for (const path of ['/', '/stats']) {
      const response = await fetch(`http://127.0.0.1:${proxy.statsPort}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const overHttp = (await response.json()) as Json;
      const plain = JSON.parse(await readRaw(proxy.statsPort)) as Json;
      assert.deepEqual(Object.keys(overHttp), Object.keys(plain));
      assert.deepEqual(withoutClock(overHttp), withoutClock(plain));
    }
    const missing = await fetch(`http://127.0.0.1:${proxy.statsPort}/nope`);
    assert.equal(missing.status, 404);
    await missing.text();
  });

  it('an HTTP request whose end comes after the sniffing time is still answered over HTTP', async () => {
    const socket = connect({ port: proxy.statsPort, host: '127.0.0.1' });
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    try {
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('GET /routing HTTP/1.1\r\n');
      await sleep(600); // past the 250 ms in which a plain TCP client gets the JSON
      assert.equal(text, '', 'nothing sent while the request is not complete');
      socket.write('Host: test\r\n\r\n');
      await waitFor('the HTTP answer', () => text.includes('\r\n\r\n{"pools":'), 5000);
      assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    } finally {
      socket.destroy();
    }
  });

  it('GET /metrics returns Prometheus text with the same figures', async () => {
    const response = await fetch(`http://127.0.0.1:${proxy.statsPort}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    const samples = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      if (line.startsWith('#')) {
        assert.match(line, /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* \S/, `comment line: ${line}`);
        continue;
      }
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)$/.exec(line);
      assert.ok(match, `sample line: ${line}`);
      samples.set(match[1]!, Number(match[2]));
    }
    assert.match(text, /^# TYPE nutcracker_server_requests_total counter$/m);
    assert.match(text, /^# TYPE nutcracker_pool_client_connections gauge$/m);
    assert.doesNotMatch(text, /nutcracker_server_server_/);
    const stats = await readStats(proxy.statsPort);
    assert.equal(samples.get('nutcracker_connections_total'), stats.total_connections);
    assert.equal(samples.get('nutcracker_curr_connections'), stats.curr_connections);
    for (const field of SAMPLE_POOL_FIELDS) {
      assert.equal(samples.get(`${PROMETHEUS_POOL_NAMES[field]}{pool="alpha"}`), pool(stats, 'alpha')[field], field);
    }
    for (const field of SAMPLE_SERVER_FIELDS) {
      const scale = field === 'server_ejected_at' ? 1e-6 : 1;
      assert.equal(samples.get(`${PROMETHEUS_SERVER_NAMES[field]}{pool="alpha",server="srv1"}`),
        (server(stats, 'alpha', 'srv1')[field] as number) * scale, field);
      assert.equal(samples.get(`${PROMETHEUS_SERVER_NAMES[field]}{pool="beta",server="${redis[2]!.address}"}`),
        (server(stats, 'beta', redis[2]!.address)[field] as number) * scale, field);
    }
  });
});

describe('stats port: counters', () => {
  let redis: RedisServer;
  before(async () => (redis = await RedisServer.start()));
  after(async () => redis?.destroy());

  it('after N requests the server\'s requests/responses (and bytes) grow by N once the -i interval passes', async () => {
    const proxy = await Nutcracker.start({ alpha: { servers: [`${redis.address}:1 one`] } });
    let client: RawClient | null = null;
    try {
      const before = await readStats(proxy.statsPort);
      const start = server(before, 'alpha', 'one');
      const startPool = pool(before, 'alpha') as Counters;
      client = await RawClient.connect(proxy.port('alpha'));
      const count = 25;
      let requestBytes = 0;
      for (let i = 0; i < count; i++) {
        requestBytes += encode('SET', `counter-key-${i}`, `value-${i}`).length;
        assert.equal(await client.command('SET', `counter-key-${i}`, `value-${i}`), '+OK\r\n');
      }
      const after = await statsWhen(proxy.statsPort, `requests to grow by ${count}`,
        (stats) => server(stats, 'alpha', 'one').responses >= start.responses! + count);
      const counters = server(after, 'alpha', 'one');
      assert.equal(counters.requests, start.requests! + count);
      assert.equal(counters.responses, start.responses! + count);
      assert.equal(counters.request_bytes, start.request_bytes! + requestBytes);
      assert.equal(counters.response_bytes, start.response_bytes! + count * '+OK\r\n'.length);
      assert.equal(counters.server_connections, 1);
      for (const field of ['in_queue', 'in_queue_bytes', 'out_queue', 'out_queue_bytes']) assert.equal(counters[field], 0, field);
      assert.equal(pool(after, 'alpha').client_connections, startPool.client_connections! + 1, 'our client is counted');
      // As in twemproxy, the pool's listening socket counts as a connection: 1 + our client + 1 server connection.
      assert.equal(before.curr_connections, 1, 'an idle proxy with one pool has one connection: its listener');
      assert.equal(after.curr_connections, 3);
      assert.equal(after.total_connections, (before.total_connections as number) + 2);

      client.close();
      client = null;
      await statsWhen(proxy.statsPort, 'the closed client to be counted',
        (stats) => pool(stats, 'alpha').client_eof === startPool.client_eof! + 1 && pool(stats, 'alpha').client_connections === 0 &&
          stats.curr_connections === 2 && stats.total_connections === (before.total_connections as number) + 2);
    } finally {
      client?.close();
      await proxy.destroy();
    }
  });

  it('figures are a snapshot refreshed at the -i interval, not live', async () => {
    const proxy = await Nutcracker.start({ alpha: { servers: [`${redis.address}:1 one`] } }, ['-i', '600000']);
    try {
      const client = await RawClient.connect(proxy.port('alpha'));
      try {
        assert.equal(await client.command('SET', 'snapshot-key', 'v'), '+OK\r\n');
      } finally {
        client.close();
      }
      await sleep(500);
      const stats = await readStats(proxy.statsPort);
      assert.equal(server(stats, 'alpha', 'one').requests, 0, 'the snapshot taken at start is still served');
    } finally {
      await proxy.destroy();
    }
  });

  it('a stopped backend shows up in server_err and forward_error', async () => {
    const doomed = await RedisServer.start();
    const proxy = await Nutcracker.start({ alpha: { servers: [`${doomed.address}:1 gone`] } });
    let client: RawClient | null = null;
    try {
      await doomed.stop();
      client = await RawClient.connect(proxy.port('alpha'));
      const reply = await client.command('GET', 'any-key');
      assert.match(reply, /^-ERR /, 'the client gets an error');
      const stats = await statsWhen(proxy.statsPort, 'the failure to be counted',
        (current) => (pool(current, 'alpha').forward_error as number) >= 1 && server(current, 'alpha', 'gone').server_err! >= 1);
      assert.equal(server(stats, 'alpha', 'gone').server_connections, 0);
      assert.equal(server(stats, 'alpha', 'gone').server_ejected_at, 0, 'no ejection without auto_eject_hosts');
      assert.equal(pool(stats, 'alpha').server_ejects, 0);
    } finally {
      client?.close();
      await proxy.destroy();
      await doomed.destroy();
    }
  });

  it('with auto_eject_hosts a dead server is ejected: server_ejects rises, server_ejected_at is unix microseconds', async () => {
    const deadPort = await freePort();
    const proxy = await Nutcracker.start({
      alpha: {
        servers: [`${redis.address}:1 live`, `127.0.0.1:${deadPort}:1 dead`],
        options: { auto_eject_hosts: true, server_failure_limit: 1, server_retry_timeout: 600000 },
      },
    });
    let client: RawClient | null = null;
    try {
      const startedUs = Date.now() * 1000;
      client = await RawClient.connect(proxy.port('alpha'));
      let failed = 0;
      for (let i = 0; i < 100 && failed === 0; i++) {
        if ((await client.command('GET', `eject-key-${i}`)).startsWith('-')) failed++;
      }
      assert.equal(failed, 1, 'some key lived on the dead server');
      const stats = await statsWhen(proxy.statsPort, 'the ejection to be counted', (current) => pool(current, 'alpha').server_ejects === 1);
      const ejectedAt = server(stats, 'alpha', 'dead').server_ejected_at!;
      assert.ok(ejectedAt >= startedUs && ejectedAt <= Date.now() * 1000,
        `server_ejected_at ${ejectedAt} is unix microseconds between ${startedUs} and now`);
      assert.equal(server(stats, 'alpha', 'live').server_ejected_at, 0);
      assert.ok((pool(stats, 'alpha').forward_error as number) >= 1);

      // Ejected: every key now goes to the live server.
      for (let i = 0; i < 30; i++) assert.equal(await client.command('GET', `eject-key-${i}`), '$-1\r\n', `eject-key-${i}`);
    } finally {
      client?.close();
      await proxy.destroy();
    }
  });
});
