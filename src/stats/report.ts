// twemproxy's stats JSON: same field names, nesting and order, so existing exporters keep working.
import { hostname } from 'node:os';
import { connectionCounts, type PoolStats, type ServerStats } from './counters.js';
import { routingTable, sumRouting, type RoutedPool, type RoutingTable } from './routing.js';

export interface PoolSnapshot {
  name: string;
  stats: PoolStats;
  servers: { name: string; stats: ServerStats }[];
}

/**
 * The counters of one process at one moment, as plain data: what a worker sends to the master,
 * and what the master sums (see sumStats). Listening sockets are not counted here.
 */
export interface StatsData {
  totalConnections: number;
  currentConnections: number;
  pools: PoolSnapshot[];
  /** Every server's addresses (GET /routing, the nutcracker_address_* series). */
  routing: RoutingTable;
}

/** Fields that are the latest of a moment rather than a count: summing them would mean nothing. */
const LATEST_OF = new Set<string>(['server_ejected_at']);

/** A copy of this process's counters now. */
/** What the stats read of a pool (src/proxy's Pool is one). */
export interface CountedPool extends RoutedPool {
  readonly stats: PoolStats;
}

export function takeStats(pools: readonly CountedPool[]): StatsData {
  return {
    totalConnections: connectionCounts.total,
    currentConnections: connectionCounts.current,
    pools: pools.map((pool) => ({
      name: pool.name,
      stats: { ...pool.stats },
      servers: pool.servers.map((server) => ({ name: server.name, stats: { ...server.stats } })),
    })),
    routing: routingTable(pools),
  };
}

/**
 * The stats of several workers as one proxy's: every counter and gauge summed, `server_ejected_at`
 * the latest. Pools and servers are matched by name (every worker runs the same config).
 */
export function sumStats(parts: readonly StatsData[]): StatsData {
  const sum: StatsData = { totalConnections: 0, currentConnections: 0, pools: [], routing: sumRouting(parts.map((part) => part.routing)) };
  const pools = new Map<string, PoolSnapshot>();
  for (const part of parts) {
    sum.totalConnections += part.totalConnections;
    sum.currentConnections += part.currentConnections;
    for (const pool of part.pools) {
      const into = pools.get(pool.name);
      if (into === undefined) {
        const copy = { name: pool.name, stats: { ...pool.stats }, servers: pool.servers.map((s) => ({ name: s.name, stats: { ...s.stats } })) };
        pools.set(pool.name, copy);
        sum.pools.push(copy);
        continue;
      }
      addFields(into.stats, pool.stats);
      for (const server of pool.servers) {
        const target = into.servers.find((candidate) => candidate.name === server.name);
        if (target === undefined) into.servers.push({ name: server.name, stats: { ...server.stats } });
        else addFields(target.stats, server.stats);
      }
    }
  }
  return sum;
}

function addFields(into: object, from: object): void {
  const target = into as Record<string, number>;
  for (const [key, value] of Object.entries(from as Record<string, number>)) {
    target[key] = LATEST_OF.has(key) ? Math.max(target[key] ?? 0, value) : (target[key] ?? 0) + value;
  }
}

/** Counters copied at each stats interval: the stats port serves the last copy, as twemproxy does. */
export class StatsSnapshot {
  private data: StatsData = { totalConnections: 0, currentConnections: 0, pools: [], routing: {} };

  constructor(private readonly version: string, private readonly startedAt: number) {}

  take(pools: readonly CountedPool[]): void {
    this.update(takeStats(pools));
  }

  /** Serves `data` from now on (the sum over the workers, in the master). */
  update(data: StatsData): void {
    this.data = data;
  }

  /** twemproxy counts its listening sockets as connections too (one per pool): the same figures here. */
  private connections(): { total: number; current: number } {
    const listeners = this.data.pools.length;
    return { total: this.data.totalConnections + listeners, current: this.data.currentConnections + listeners };
  }

  /**
   * Prometheus text exposition of the same counters, with HELP and TYPE for every metric.
   * prom-client is loaded at the first /metrics request: a proxy nobody scrapes does not hold it.
   */
  async toPrometheus(): Promise<string> {
    const connections = this.connections();
    const { prometheusText } = await import('./metrics.js');
    return prometheusText({ ...this.data, totalConnections: connections.total, currentConnections: connections.current },
      Math.floor((Date.now() - this.startedAt) / 1000));
  }

  /** Each pool's servers with their addresses (GET /routing). */
  toRoutingJson(): string {
    return JSON.stringify({ pools: this.data.routing });
  }

  toJson(): string {
    const now = Date.now();
    const connections = this.connections();
    const header = `{"service":"nutcracker", "source":${JSON.stringify(hostname())}, "version":${JSON.stringify(this.version)}, ` +
      `"uptime":${Math.floor((now - this.startedAt) / 1000)}, "timestamp":${Math.floor(now / 1000)}, ` +
      `"total_connections":${connections.total}, "curr_connections":${connections.current}`;
    const pools = this.data.pools.map((pool) => {
      const servers = pool.servers.map((server) => `${JSON.stringify(server.name)}: {${fields(server.stats)}}`);
      return `${JSON.stringify(pool.name)}: {${[fields(pool.stats), servers.join(',')].filter((part) => part !== '').join(', ')}}`;
    });
    return `${header}${pools.length > 0 ? `, ${pools.join(',')}` : ''}}`;
  }
}

function fields(stats: object): string {
  return Object.entries(stats).map(([key, value]) => `"${key}":${value as number}`).join(', ');
}
