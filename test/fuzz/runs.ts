// The fuzz runs with their real set-up (redis-servers, memcached servers or fake servers behind the built proxy),
// shared by the short runs in `npm test` and the long runs of `npm run fuzz`.
import { MemcachedPool } from '../helpers/memcached.js';
import { Nutcracker } from '../helpers/nutcracker.js';
import { processRunning } from '../helpers/process.js';
import { ShardedPool } from '../helpers/sharded-pool.js';
import type { Findings } from './findings.js';
import { MEMCACHE, fakeMemcacheWorkload, memcachedWorkload } from './memcache.js';
import { fuzzReplies, type ProxyUnderTest } from './reply-fuzz.js';
import type { FuzzProtocol, Workload } from './protocol.js';
import { fuzzRequests } from './request-fuzz.js';
import { RESP, fakeServerWorkload, redisWorkload } from './resp.js';

/** The seed of the runs in `npm test`: fixed, so that they send the same inputs every time. */
export const DEFAULT_SEED = 20261201;

export interface RunLimits {
  readonly seed: number;
  readonly durationMs: number;
  /** Fuzz cases (request run) or honest batches per client (reply run), at most. */
  readonly count: number;
  readonly onlyCase?: number;
}

function asTarget(proxy: Nutcracker, pool = 'alpha'): ProxyUnderTest {
  return {
    port: proxy.port(pool),
    statsPort: proxy.statsPort,
    alive: () => processRunning(proxy.pid),
    output: () => proxy.output,
    destroy: () => proxy.destroy(),
  };
}

/** Mutated RESP requests to a proxy in front of two real redis-servers, beside honest clients. */
export async function respRequestRun(limits: RunLimits): Promise<Findings> {
  const pool = await ShardedPool.start(2);
  try {
    return await fuzzRequests(RESP, asTarget(pool.proxy), {
      seed: limits.seed, cases: limits.count, durationMs: limits.durationMs, onlyCase: limits.onlyCase,
      workers: 6, honestClients: 4, honestWorkload: redisWorkload({ faults: 'none', largePipelines: true }), replyTimeoutMs: 4000,
    });
  } finally {
    await pool.destroy();
  }
}

/** Damaged RESP replies from three fake servers behind the proxy. */
export function respReplyRun(limits: RunLimits): Promise<Findings> {
  return replyRun(RESP, fakeServerWorkload, 'alpha', {}, [20, 300], limits);
}

/** Mutated memcached requests to a proxy in front of two real memcached servers, beside honest clients. */
export async function memcacheRequestRun(limits: RunLimits): Promise<Findings> {
  const pool = await MemcachedPool.start(2);
  try {
    return await fuzzRequests(MEMCACHE, asTarget(pool.proxy, 'mc'), {
      seed: limits.seed, cases: limits.count, durationMs: limits.durationMs, onlyCase: limits.onlyCase,
      workers: 6, honestClients: 4, honestWorkload: memcachedWorkload, replyTimeoutMs: 4000,
    });
  } finally {
    await pool.destroy();
  }
}

/** Damaged memcached replies from three fake servers behind the proxy: short-lived connections, for more damage per second. */
export function memcacheReplyRun(limits: RunLimits): Promise<Findings> {
  return replyRun(MEMCACHE, fakeMemcacheWorkload, 'mc', { redis: false }, [5, 60], limits);
}

/**
 * Three fake servers behind pool `pool` (timeout 500 ms, two connections each), whose connections
 * hang up after a number of replies in `connectionReplies`; honest clients of `workload`.
 */
function replyRun(protocol: FuzzProtocol, workload: Workload, pool: string, options: Record<string, boolean>,
  connectionReplies: readonly [number, number], limits: RunLimits): Promise<Findings> {
  const startProxy = async (servers: string[]): Promise<ProxyUnderTest> => asTarget(await Nutcracker.start({
    [pool]: { servers: servers.map((server, i) => `${server}:1 f${i + 1}`), options: { ...options, timeout: 500, server_connections: 2 } },
  }), pool);
  return fuzzReplies(protocol, startProxy, {
    seed: limits.seed, durationMs: limits.durationMs, batches: limits.count, honestClients: 4, workload,
    servers: 3, evilConnections: 0.5, connectionReplies, proxyTimesOut: true, replyTimeoutMs: 3000,
  });
}
