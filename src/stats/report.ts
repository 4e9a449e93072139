// twemproxy's stats JSON: same field names, nesting and order, so existing exporters keep working.
import { hostname } from 'node:os';
import type { Pool } from '../proxy/pool.js';
import { connectionCounts, PoolStats, ServerStats } from './counters.js';

interface PoolSnapshot {
  name: string;
  stats: PoolStats;
  servers: { name: string; stats: ServerStats }[];
}

/** Counters copied at each stats interval: the stats port serves the last copy, as twemproxy does. */
export class StatsSnapshot {
  private pools: PoolSnapshot[] = [];
  private totalConnections = 0;
  private currentConnections = 0;

  constructor(private readonly version: string, private readonly startedAt: number) {}

  take(pools: readonly Pool[]): void {
    this.pools = pools.map((pool) => ({
      name: pool.name,
      stats: { ...pool.stats },
      servers: pool.servers.map((server) => ({ name: server.name, stats: { ...server.stats } })),
    }));
    this.totalConnections = connectionCounts.total;
    this.currentConnections = connectionCounts.current;
  }

  /** Prometheus text exposition of the same counters. */
  toPrometheus(): string {
    const lines: string[] = [
      `nutcracker_uptime_seconds ${Math.floor((Date.now() - this.startedAt) / 1000)}`,
      `nutcracker_total_connections ${this.totalConnections}`,
      `nutcracker_curr_connections ${this.currentConnections}`,
    ];
    for (const pool of this.pools) {
      const poolLabel = `pool=${JSON.stringify(pool.name)}`;
      for (const [key, value] of Object.entries(pool.stats)) lines.push(`nutcracker_pool_${key}{${poolLabel}} ${value as number}`);
      for (const server of pool.servers) {
        const labels = `${poolLabel},server=${JSON.stringify(server.name)}`;
        for (const [key, value] of Object.entries(server.stats)) lines.push(`nutcracker_server_${key}{${labels}} ${value as number}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  toJson(): string {
    const now = Date.now();
    const header = `{"service":"nutcracker", "source":${JSON.stringify(hostname())}, "version":${JSON.stringify(this.version)}, ` +
      `"uptime":${Math.floor((now - this.startedAt) / 1000)}, "timestamp":${Math.floor(now / 1000)}, ` +
      `"total_connections":${this.totalConnections}, "curr_connections":${this.currentConnections}`;
    const pools = this.pools.map((pool) => {
      const servers = pool.servers.map((server) => `${JSON.stringify(server.name)}: {${fields(server.stats)}}`);
      return `${JSON.stringify(pool.name)}: {${fields(pool.stats)}, ${servers.join(',')}}`;
    });
    return `${header}${pools.length > 0 ? `, ${pools.join(',')}` : ''}}`;
  }
}

function fields(stats: object): string {
  return Object.entries(stats).map(([key, value]) => `"${key}":${value as number}`).join(', ');
}
