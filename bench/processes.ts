// Every process the benchmark starts (redis-servers, proxies, redis-benchmark runs) is tracked here,
// so that all of them are stopped at the end, after a failure, and on Ctrl-C.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { freePort, waitFor } from '../test/helpers/ports.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { RedisServer, type RedisTls } from '../test/helpers/redis-server.js';
import { MemcachedServer } from '../test/helpers/memcached.js';

const STOP_GRACE_MS = 5000;
const PROXY_START_TIMEOUT_MS = 10000;

const children = new Set<ChildProcess>();
const redisServers = new Set<RedisServer>();
const memcachedServers = new Set<MemcachedServer>();

export function spawnTracked(command: string, args: readonly string[], stdio: StdioOptions = ['ignore', 'pipe', 'pipe']): ChildProcess {
  const child = spawn(command, args, { stdio });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.on('error', () => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL if it is still running after the grace period; resolves once it exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** A redis-server (on `at`, or 127.0.0.1 and a free port); with `tls`, on a TLS port only. */
export async function startRedisServer(tls?: RedisTls, at?: { host: string; port: number }): Promise<RedisServer> {
  const server = await RedisServer.start({ tls, ...at });
  redisServers.add(server);
  return server;
}

export async function stopRedisServer(server: RedisServer): Promise<void> {
  redisServers.delete(server);
  await server.destroy();
}

export async function startMemcachedServer(): Promise<MemcachedServer> {
  const server = await MemcachedServer.start();
  memcachedServers.add(server);
  return server;
}

export async function stopMemcachedServer(server: MemcachedServer): Promise<void> {
  memcachedServers.delete(server);
  await server.stop();
}

/**
 * Starts a proxy as a user would (`<command> -c <config> -s <stats port> -a 127.0.0.1`), its output
 * appended to `logFile`, and waits until it accepts connections on `listenPort`.
 */
export async function startProxy(command: readonly string[], configFile: string, listenPort: number, logFile: string): Promise<ChildProcess> {
  const [program, ...programArgs] = command as [string, ...string[]];
  const statsPort = await freePort();
  const log = openSync(logFile, 'a');
  const child = spawnTracked(program, [...programArgs, '-c', configFile, '-s', String(statsPort), '-a', '127.0.0.1'], ['ignore', log, log]);
  closeSync(log);
  let spawnError: Error | null = null;
  child.once('error', (err) => (spawnError = err));
  const name = basename(program);
  await waitFor(`${name} to listen on 127.0.0.1:${listenPort}`, () => {
    if (spawnError !== null) throw new Error(`cannot run ${program}: ${(spawnError as Error).message}`);
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${lastLines(logFile)}`);
    return accepts(listenPort);
  }, PROXY_START_TIMEOUT_MS);
  return child;
}

/** Stops everything still running: called at the end of a run, after a failure, and on a signal. */
export async function stopAll(): Promise<void> {
  await Promise.all([
    ...[...children].map(stopChild), ...[...redisServers].map(stopRedisServer), ...[...memcachedServers].map(stopMemcachedServer),
  ]);
}

function accepts(port: number): Promise<boolean> {
  return RawClient.connect(port).then((client) => {
    client.close();
    return true;
  }, () => false);
}

function lastLines(file: string): string {
  return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');
}
