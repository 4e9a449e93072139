// Drives the benchmark's own memcached load generator (bench/memcache-generator.ts) as a child
// process and reads its figures, as redis-benchmark.ts does for Redis loads.
import { fileURLToPath } from 'node:url';
import { spawnTracked, stopChild } from './processes.js';
import type { BenchmarkFigures } from './redis-benchmark.js';

/** set: 'set' of a random key; get: 'get' of one random key; mget: 'get' of `keysPerGet` random keys. */
export type MemcacheTest = 'set' | 'get' | 'mget';

export interface MemcacheLoad {
  generator: 'memcache';
  tests: readonly MemcacheTest[];
  clients: number;
  /** Requests in flight per client (1: none). */
  pipeline: number;
  valueSize: number;
  keyspace: number;
  keysPerGet: number;
  /** Requests per test, over all clients. */
  requests: number;
}

const GENERATOR = fileURLToPath(new URL('./memcache-generator.js', import.meta.url));

export async function runMemcacheLoad(port: number, load: MemcacheLoad, timeoutMs: number): Promise<BenchmarkFigures[]> {
  const child = spawnTracked(process.execPath, [GENERATOR, JSON.stringify(load), String(port)]);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => void stopChild(child), timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  clearTimeout(timer);
  if (child.signalCode !== null) throw new Error(`the memcached load generator stopped after the ${timeoutMs / 1000} s limit`);
  if (code !== 0) throw new Error(`the memcached load generator exited with ${code}: ${stderr.trim().slice(-300)}`);
  return JSON.parse(stdout) as BenchmarkFigures[];
}
