// The benchmark's scenarios, one entry each: a pool shape and what is measured on it.
import type { Load } from './redis-benchmark.js';
import type { MemcacheLoad } from './memcache-load.js';
import type { PoolShape, Variant, WorkerCount } from './topology.js';

export type Measure =
  /**
   * ops/s and latency for each target; `prefill` runs once through the proxy first, unmeasured;
   * with `variants`, this proxy is measured once per variant instead of once, each against the first.
   */
  | { kind: 'throughput'; load: Load | MemcacheLoad; prefill?: Load | MemcacheLoad; baseline?: string; variants?: readonly Variant[] }
  /** The proxies' resident size with this many idle client connections open. */
  | { kind: 'idle-memory'; connections: number }
  /** The proxies' resident size before, during (peak) and after the load, and its throughput. */
  | { kind: 'load-memory'; load: Load }
  /** The proxies' resident size sampled under the load, looped for --leak-minutes. */
  | { kind: 'leak'; load: Load };

export interface Scenario {
  name: string;
  description: string;
  pool: PoolShape;
  /** Runs whose medians are reported (--repeat overrides it for throughput scenarios). */
  repeat: number;
  measure: Measure;
}

/** Runs of each throughput scenario, the targets taking turns: each figure is their median, with the min and max beside it. */
const RUNS = 5;

const ONE_SERVER: PoolShape = { shards: 1, servers: 1 };
const FOUR_SHARDS: PoolShape = { shards: 4, servers: 4 };
const RING_1000: PoolShape = { shards: 4, servers: 1000 };
const ONE_TLS_SERVER: PoolShape = { ...ONE_SERVER, tls: true };
const SIX_REPLICAS: PoolShape = { ...ONE_SERVER, replicas: { count: 6 } };

const FIFTY_CLIENTS = { clients: 50, pipeline: 1, valueSize: 3, keyspace: 100000, requests: 100000 };
const GET_SET_50: Load = { ...FIFTY_CLIENTS, tests: 'set,get' };
const GET_SET_50_P16: Load = { ...GET_SET_50, pipeline: 16, requests: 1000000 };
const PIPELINED_1K: Load = { ...GET_SET_50, pipeline: 16, valueSize: 1024, keyspace: 10000, requests: 500000 };
const RING_LOAD: Load = { ...GET_SET_50, pipeline: 16, requests: 500000 };
const WORKER_COUNTS: readonly WorkerCount[] = [1, 2, 'auto'];
const WORKER_VARIANTS = WORKER_COUNTS.map((count): Variant => ({ name: `workers-${count}`, global: { worker_processes: count } }));
/** The same 6 replicas with and without latency routing: what the routing itself costs. */
const ROUTING_VARIANTS: readonly Variant[] = [
  { name: 'in-turn', options: { latency_routing: false } },
  { name: 'latency-routing', options: { latency_routing: true } },
];
const TEN_KEYS = Array.from({ length: 10 }, () => 'key:__rand_int__');

const MEMCACHED_ONE: PoolShape = { ...ONE_SERVER, protocol: 'memcache' };
const MEMCACHED_FOUR: PoolShape = { ...FOUR_SHARDS, protocol: 'memcache' };
const MEMCACHED_50: MemcacheLoad = {
  generator: 'memcache', tests: ['set', 'get'], clients: 50, pipeline: 1, valueSize: 3, keyspace: 100000, keysPerGet: 1, requests: 100000,
};

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'get-set-50',
    description: 'SET then GET, 3-byte values, 50 clients, no pipelining',
    pool: ONE_SERVER,
    repeat: RUNS,
    measure: { kind: 'throughput', load: GET_SET_50 },
  },
  {
    name: 'get-set-50-p16',
    description: 'SET then GET, 3-byte values, 50 clients, 16 requests per pipeline',
    pool: ONE_SERVER,
    repeat: RUNS,
    measure: { kind: 'throughput', load: GET_SET_50_P16 },
  },
  {
    name: 'get-set-1',
    description: 'SET then GET, 3-byte values, 1 client, no pipelining: the latency of one round trip',
    pool: ONE_SERVER,
    repeat: RUNS,
    measure: { kind: 'throughput', load: { ...GET_SET_50, clients: 1, requests: 20000 } },
  },
  {
    name: 'workers-50',
    description: 'as get-set-50, this proxy with worker_processes 1, 2 and auto (one per CPU) side by side',
    pool: ONE_SERVER,
    repeat: RUNS,
    measure: { kind: 'throughput', load: GET_SET_50, variants: WORKER_VARIANTS },
  },
  {
    name: 'workers-50-p16',
    description: 'as get-set-50-p16 (500,000 requests), this proxy with worker_processes 1, 2 and auto side by side',
    pool: ONE_SERVER,
    repeat: RUNS,
    measure: { kind: 'throughput', load: { ...GET_SET_50_P16, requests: 500000 }, variants: WORKER_VARIANTS },
  },
  {
    name: 'tls-get-set-50',
    description: 'as get-set-50, the proxy speaking TLS to its redis-server (only this proxy is measured; compared with get-set-50)',
    pool: ONE_TLS_SERVER,
    repeat: RUNS,
    measure: { kind: 'throughput', load: GET_SET_50, baseline: 'get-set-50' },
  },
  {
    name: 'tls-get-set-50-p16',
    description: 'as get-set-50-p16, the proxy speaking TLS to its redis-server (compared with get-set-50-p16)',
    pool: ONE_TLS_SERVER,
    repeat: RUNS,
    measure: { kind: 'throughput', load: GET_SET_50_P16, baseline: 'get-set-50-p16' },
  },
  {
    name: 'routing-6-get-set-50',
    description: 'as get-set-50, the server a name of 6 replicas, taken in turn and routed by latency (latency_routing, weight 80) side by side',
    pool: SIX_REPLICAS,
    repeat: RUNS,
    measure: { kind: 'throughput', load: GET_SET_50, variants: ROUTING_VARIANTS },
  },
  {
    name: 'routing-6-get-set-50-p16',
    description: 'as get-set-50-p16, over 6 replicas taken in turn and routed by latency side by side',
    pool: SIX_REPLICAS,
    repeat: RUNS,
    measure: { kind: 'throughput', load: GET_SET_50_P16, variants: ROUTING_VARIANTS },
  },
  {
    name: 'mset-10-4shards',
    description: 'MSET of 10 random keys (3-byte values) over 4 shards, split and merged by the proxy; 50 clients',
    pool: FOUR_SHARDS,
    repeat: RUNS,
    measure: {
      kind: 'throughput',
      load: { ...FIFTY_CLIENTS, keyspace: 10000, requests: 50000, command: ['MSET', ...TEN_KEYS.flatMap((key) => [key, 'xxx'])] },
    },
  },
  {
    name: 'mget-10-4shards',
    description: 'MGET of 10 random keys over 4 shards, split and merged by the proxy; 50 clients (keys prefilled)',
    pool: FOUR_SHARDS,
    repeat: RUNS,
    measure: {
      kind: 'throughput',
      load: { ...FIFTY_CLIENTS, keyspace: 10000, requests: 50000, command: ['MGET', ...TEN_KEYS] },
      prefill: { ...FIFTY_CLIENTS, tests: 'set', pipeline: 16, keyspace: 10000, requests: 30000 },
    },
  },
  {
    name: 'large-values',
    description: 'SET then GET, 16 KB values, 50 clients, no pipelining',
    pool: ONE_SERVER,
    repeat: RUNS,
    measure: { kind: 'throughput', load: { ...GET_SET_50, valueSize: 16384, keyspace: 1000, requests: 20000 } },
  },
  {
    name: 'ring-4',
    description: 'SET then GET, 50 clients, 16 per pipeline, random keys over a ring of 4 servers on 4 shards',
    pool: FOUR_SHARDS,
    repeat: RUNS,
    measure: { kind: 'throughput', load: RING_LOAD },
  },
  {
    name: 'ring-1000',
    description: 'as ring-4 with 1,000 servers on the ring (250 names per shard): lookup on a large ring plus the spread over 1,000 server connections',
    pool: RING_1000,
    repeat: RUNS,
    measure: { kind: 'throughput', load: RING_LOAD, baseline: 'ring-4' },
  },
  {
    name: 'ring-4-one-key',
    description: 'as ring-4, every request on one key: one server connection carries all, so only the ring lookup differs from ring-1000-one-key',
    pool: FOUR_SHARDS,
    repeat: RUNS,
    measure: { kind: 'throughput', load: { ...RING_LOAD, keyspace: 1 } },
  },
  {
    name: 'ring-1000-one-key',
    description: 'as ring-1000, every request on one key: the cost of routing a key on a ring of 1,000 servers against 4',
    pool: RING_1000,
    repeat: RUNS,
    measure: { kind: 'throughput', load: { ...RING_LOAD, keyspace: 1 }, baseline: 'ring-4-one-key' },
  },
  {
    name: 'mc-get-set-50',
    description: 'memcached: set then get, 3-byte values, 50 clients, no pipelining (the bench\'s own generator)',
    pool: MEMCACHED_ONE,
    repeat: RUNS,
    measure: { kind: 'throughput', load: MEMCACHED_50 },
  },
  {
    name: 'mc-get-set-50-p16',
    description: 'memcached: set then get, 3-byte values, 50 clients, 16 requests per pipeline',
    pool: MEMCACHED_ONE,
    repeat: RUNS,
    measure: { kind: 'throughput', load: { ...MEMCACHED_50, pipeline: 16, requests: 500000 } },
  },
  {
    name: 'mc-mget-10-4shards',
    description: 'memcached: get of 10 random keys over 4 shards, split and merged by the proxy; 50 clients (keys prefilled)',
    pool: MEMCACHED_FOUR,
    repeat: RUNS,
    measure: {
      kind: 'throughput',
      load: { ...MEMCACHED_50, tests: ['mget'], keyspace: 10000, keysPerGet: 10, requests: 50000 },
      prefill: { ...MEMCACHED_50, tests: ['set'], pipeline: 16, keyspace: 10000, requests: 30000 },
    },
  },
  {
    name: 'memory-idle-10k',
    description: 'resident size of each proxy with 10,000 idle client connections open',
    pool: ONE_SERVER,
    repeat: 1,
    measure: { kind: 'idle-memory', connections: 10000 },
  },
  {
    name: 'memory-pipelined-1k',
    description: 'resident size of each proxy under 50 clients pipelining (16 deep) SET/GET of 1 KB values',
    pool: ONE_SERVER,
    repeat: 1,
    measure: { kind: 'load-memory', load: PIPELINED_1K },
  },
  {
    name: 'leak-check',
    description: 'resident size sampled every 2 s under 50 clients pipelining 1 KB SET/GET for --leak-minutes',
    pool: ONE_SERVER,
    repeat: 1,
    measure: { kind: 'leak', load: PIPELINED_1K },
  },
];

/** The named scenarios in list order (all when none is named); throws on an unknown name. */
export function selectScenarios(names: readonly string[]): Scenario[] {
  const unknown = names.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario ${unknown.join(', ')}: known are ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  return names.length === 0 ? [...SCENARIOS] : SCENARIOS.filter((scenario) => names.includes(scenario.name));
}
