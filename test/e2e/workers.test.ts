// worker_processes: several processes behind the same listen addresses, against real redis-servers:
// one server connection per worker, clients spread over them, one stats document summed over
// them, a killed worker replaced, SIGTERM stopping them all, -d/-p/pgrep habits, and the workers
// running as the configured user and group.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { extendedYaml, Nutcracker, readStats } from '../helpers/nutcracker.js';
import { RedisServer } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { killPid, pgrep, processRunning, readIfExists, runCommand, runNutcracker } from '../helpers/process.js';

type Json = Record<string, unknown>;

/** The pids of the processes whose parent is `pid` (the workers of a master). */
async function children(pid: number): Promise<number[]> {
  const result = await runCommand('pgrep', ['-P', String(pid)]);
  return result.stdout.split('\n').filter((line) => line.trim() !== '').map(Number).sort((a, b) => a - b);
}

/** `ps -o <field>= -p pid`: the user or group a process runs as. */
async function psField(pid: number, field: 'user' | 'group'): Promise<string> {
  return (await runCommand('ps', ['-o', `${field}=`, '-p', String(pid)])).stdout.trim();
}

/** The proxy's connections to `redis` (every client but the one asking). */
async function proxyConnections(redis: RedisServer): Promise<number> {
  const list = await redis.command('CLIENT', 'LIST');
  return list.split('\n').filter((line) => line.includes('addr=') && !line.includes('cmd=client')).length;
}

function serverStats(stats: Json, pool: string, server: string): Record<string, number> {
  return (stats[pool] as Record<string, Record<string, number>>)[server]!;
}

/** Starts a master with 2 workers and waits until both serve; with `logFile`, logging there (-o). */
async function startWorkers(redis: RedisServer, global: Record<string, string | number> = {}, logFile?: string): Promise<Nutcracker> {
  const proxy = await Nutcracker.start({ alpha: { servers: [`${redis.address}:1 one`], options: { server_connections: 1 } } },
    logFile === undefined ? [] : ['-o', logFile], { global: { worker_processes: 2, ...global } });
  const log = () => (logFile === undefined ? proxy.output : readIfExists(logFile));
  await waitFor('both workers', async () => (await children(proxy.pid)).length === 2 && /started 2 worker processes/.test(log()), 10000);
  return proxy;
}

/** One GET per fresh connection, `count` times; every reply checked. */
async function getsOnFreshConnections(port: number, count: number, perConnection = 1): Promise<void> {
  for (let i = 0; i < count; i++) {
    const client = await RawClient.connect(port);
    try {
      for (let j = 0; j < perConnection; j++) assert.equal(await client.command('GET', 'worker:key'), '$1\r\nv\r\n');
    } finally {
      client.close();
    }
  }
}

describe('worker_processes: 2', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
    await redis.command('SET', 'worker:key', 'v');
  });
  after(async () => redis?.destroy());

  it('runs a master and 2 workers; with server_connections: 1 redis sees one connection per worker', async () => {
    const proxy = await startWorkers(redis);
    try {
      await getsOnFreshConnections(proxy.port('alpha'), 10);
      assert.equal(await proxyConnections(redis), 2);
    } finally {
      await proxy.destroy();
    }
  });

  it('spreads clients over both workers (MONITOR on redis shows each worker\'s connection serving a share)', async () => {
    const proxy = await startWorkers(redis);
    const monitor = await RawClient.connect(redis.port);
    try {
      monitor.write('MONITOR\r\n');
      await monitor.until(() => monitor.data.startsWith('+OK\r\n'), 5000);
      const clients = 10;
      await getsOnFreshConnections(proxy.port('alpha'), clients);
      await monitor.until(() => (monitor.data.match(/"GET"/g) ?? []).length >= clients, 5000);
      const perConnection = new Map<string, number>();
      for (const match of monitor.data.matchAll(/\[0 (127\.0\.0\.1:[0-9]+)\] "GET"/g)) perConnection.set(match[1]!, (perConnection.get(match[1]!) ?? 0) + 1);
      assert.equal(perConnection.size, 2, `GETs by connection: ${JSON.stringify([...perConnection])}`);
      for (const [connection, count] of perConnection) assert.ok(count >= 2, `connection ${connection} served ${count} of ${clients}`);
    } finally {
      monitor.close();
      await proxy.destroy();
    }
  });

  it('the stats port is one document whose counters are the sums: 1,000 GETs over fresh connections add exactly 1,000', async () => {
    const proxy = await startWorkers(redis);
    try {
      const start = serverStats(await readStats(proxy.statsPort), 'alpha', 'one');
      await getsOnFreshConnections(proxy.port('alpha'), 100, 10);
      const expected = start.requests! + 1000;
      await waitFor('1,000 more requests in the summed stats', async () =>
        serverStats(await readStats(proxy.statsPort), 'alpha', 'one').requests === expected, 5000);
      const end = await readStats(proxy.statsPort);
      const counters = serverStats(end, 'alpha', 'one');
      assert.equal(counters.responses, start.responses! + 1000);
      assert.equal(counters.server_connections, 2, 'one server connection per worker');
      const metrics = await (await fetch(`http://127.0.0.1:${proxy.statsPort}/metrics`)).text();
      assert.match(metrics, new RegExp(`^nutcracker_server_requests_total\\{pool="alpha",server="one"\\} ${expected}$`, 'm'));
      assert.match(metrics, /^nutcracker_server_connections\{pool="alpha",server="one"\} 2$/m);
      assert.ok(Number(end['uptime']) >= 0 && Number(end['timestamp']) > 0);
    } finally {
      await proxy.destroy();
    }
  });

  it('a worker killed with SIGKILL is replaced and logged; clients of the other worker and new clients are served', async () => {
    const proxy = await startWorkers(redis);
    const kept: RawClient[] = [];
    try {
      for (let i = 0; i < 2; i++) kept.push(await RawClient.connect(proxy.port('alpha')));
      for (const client of kept) assert.equal(await client.command('GET', 'worker:key'), '$1\r\nv\r\n');
      const [victim, survivor] = await children(proxy.pid);
      process.kill(victim!, 'SIGKILL');
      await waitFor('a new worker', async () => {
        const now = await children(proxy.pid);
        return now.length === 2 && !now.includes(victim!) && now.includes(survivor!);
      }, 10000);
      assert.match(proxy.output, new RegExp(`worker [12] \\(pid ${victim}\\) died \\(SIGKILL\\), starting a new one`));
      await waitFor('the restart log line', () => /worker [12] restarted \(pid [0-9]+\)/.test(proxy.output), 5000);
      const alive = kept.filter((client) => !client.closed);
      assert.equal(alive.length, 1, 'the client of the killed worker lost its connection, the other did not');
      assert.equal(await alive[0]!.command('GET', 'worker:key'), '$1\r\nv\r\n');
      await getsOnFreshConnections(proxy.port('alpha'), 10);
    } finally {
      for (const client of kept) client.close();
      await proxy.destroy();
    }
  });

  it('SIGTERM stops the master and every worker gracefully (exit 0)', async () => {
    const proxy = await startWorkers(redis);
    try {
      const workers = await children(proxy.pid);
      const client = await RawClient.connect(proxy.port('alpha'));
      assert.equal(await client.command('GET', 'worker:key'), '$1\r\nv\r\n');
      assert.equal(await proxy.stop(), 0);
      for (const pid of workers) await waitFor(`worker ${pid} to exit`, () => !processRunning(pid), 5000);
      assert.ok(await client.waitClosed(2000), 'the client was closed');
    } finally {
      await proxy.destroy();
    }
  });

  it('SIGHUP to the master reopens the log file in the master and in every worker (the log moved away first)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nutcracker-workers-'));
    const logFile = join(dir, 'nutcracker.log');
    const proxy = await startWorkers(redis, {}, logFile);
    try {
      renameSync(logFile, `${logFile}.1`);
      proxy.signal('SIGHUP');
      await waitFor('SIGHUP in the master and both workers', () => (readIfExists(`${logFile}.1`).match(/signal 1 \(SIGHUP\) received, reopening log file/g) ?? []).length === 3, 5000);
      // What each process writes after the reopen goes to the new file: one SIGTTIN line each.
      proxy.signal('SIGTTIN');
      await waitFor('SIGTTIN in the new log from all 3 processes', () => (readIfExists(logFile).match(/signal 21 \(SIGTTIN\) received/g) ?? []).length === 3, 5000);
      assert.doesNotMatch(readIfExists(`${logFile}.1`), /SIGTTIN/);
    } finally {
      await proxy.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a listen address in use stops the start with the reason (exit 1), leaving no worker behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nutcracker-workers-'));
    try {
      const conf = join(dir, 'nutcracker.yml');
      writeFileSync(conf, extendedYaml({ worker_processes: 2 }, { alpha: { listen: redis.address, servers: [`${redis.address}:1`] } }));
      const result = await runNutcracker(['-c', conf, '-s', String(await freePort()), '-a', '127.0.0.1'], { timeoutMs: 20000 });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`pool 'alpha': cannot listen on ${redis.address}: .*EADDRINUSE`));
      assert.deepEqual(await pgrep(`nutcracker: worker [12] -c ${conf}`), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('-d and -p: the pid file holds the master, pgrep -f finds the master alone, SIGTERM to it stops all', async () => {
    const port = await freePort();
    const statsPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'nutcracker-workers-'));
    const conf = join(dir, 'nutcracker.yml');
    const pidFile = join(dir, 'nutcracker.pid');
    writeFileSync(conf, extendedYaml({ worker_processes: 2 }, { alpha: { listen: `127.0.0.1:${port}`, servers: [`${redis.address}:1`] } }));
    let master = -1;
    try {
      const started = await runNutcracker(['-d', '-c', conf, '-p', pidFile, '-s', String(statsPort), '-a', '127.0.0.1', '-o', join(dir, 'log')], { timeoutMs: 20000 });
      assert.equal(started.code, 0, started.stderr);
      master = Number(readFileSync(pidFile, 'utf8').trim());
      await waitFor('both workers', async () => (await children(master)).length === 2, 10000);
      assert.deepEqual(await pgrep(`^nutcracker -d -c ${conf}`), [master]);
      const workers = await children(master);
      for (const pid of workers) assert.match((await runCommand('ps', ['-o', 'args=', '-p', String(pid)])).stdout, /^nutcracker: worker [12] -d -c /);
      const client = await RawClient.connect(port);
      assert.equal(await client.command('GET', 'worker:key'), '$1\r\nv\r\n');
      client.close();
      process.kill(master, 'SIGTERM');
      for (const pid of [master, ...workers]) await waitFor(`pid ${pid} to exit`, () => !processRunning(pid), 10000);
    } finally {
      if (master > 0) await killPid(master);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('user and group', { skip: process.getuid?.() !== 0 ? 'needs root to change user' : false }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
    await redis.command('SET', 'worker:key', 'v');
  });
  after(async () => redis?.destroy());

  it('the workers run as the configured user and group after binding; the master stays root', async () => {
    const proxy = await startWorkers(redis, { user: 'nobody', group: 'nogroup' });
    try {
      for (const pid of await children(proxy.pid)) {
        assert.equal(await psField(pid, 'user'), 'nobody');
        assert.equal(await psField(pid, 'group'), 'nogroup');
      }
      assert.equal(await psField(proxy.pid, 'user'), 'root');
      await getsOnFreshConnections(proxy.port('alpha'), 4);
    } finally {
      await proxy.destroy();
    }
  });

  it('with one process, the proxy itself runs as the user (its primary group when no group is given)', async () => {
    const proxy = await Nutcracker.start({ alpha: { servers: [`${redis.address}:1`] } }, [], { global: { user: 'nobody' } });
    try {
      await waitFor('the start line', () => /started on pid/.test(proxy.output), 5000);
      assert.equal(await psField(proxy.pid, 'user'), 'nobody');
      assert.equal(await psField(proxy.pid, 'group'), 'nogroup');
      await getsOnFreshConnections(proxy.port('alpha'), 2);
    } finally {
      await proxy.destroy();
    }
  });

  it("-t says the syntax is ok but warns about 'group: nobody', naming the group that exists", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nutcracker-workers-'));
    try {
      const conf = join(dir, 'nutcracker.yml');
      writeFileSync(conf, extendedYaml({ user: 'nobody', group: 'nobody' }, { alpha: { listen: '127.0.0.1:1', servers: [`${redis.address}:1`] } }));
      const result = await runNutcracker(['-t', '-c', conf]);
      assert.equal(result.code, 0);
      assert.match(result.stderr, /syntax is ok/);
      assert.match(result.stderr, /warning: group 'nobody' \(global 'group:' in .*\) does not exist on this system: this system calls it 'nogroup': set 'group: nogroup'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starting with a user that does not exist is a clear error, never a run as root', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'nutcracker-workers-'));
    try {
      const conf = join(dir, 'nutcracker.yml');
      writeFileSync(conf, extendedYaml({ worker_processes: 2, user: 'no-such-user-here' }, { alpha: { listen: `127.0.0.1:${port}`, servers: [`${redis.address}:1`] } }));
      const result = await runNutcracker(['-c', conf, '-s', String(await freePort())]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /user 'no-such-user-here' \(global 'user:' in .*nutcracker\.yml\) does not exist on this system: create it, or name an existing user/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
