// twemproxy's stats JSON: same field names, nesting and order, so existing exporters keep working.
import { hostname } from 'node:os';
import type { Pool } from '../proxy/pool.js';
import {
  connectionCounts, POOL_STAT_DESCRIPTIONS, SERVER_STAT_DESCRIPTIONS, type PoolStats, type ServerStats,
} from './counters.js';
import { labelValue, routingMetrics, routingTable, type RoutingTable } from './routing.js';

/** Fields that go up and down (the rest only go up, or are a timestamp that only moves forward). */
const GAUGES = new Set<string>([
  'client_connections', 'server_connections', 'server_ejected_at', 'in_queue', 'in_queue_bytes', 'out_queue', 'out_queue_bytes',
]);

interface PoolSnapshot {
  name: string;
  stats: PoolStats;
  servers: { name: string; stats: ServerStats }[];
}

/** Counters copied at each stats interval: the stats port serves the last copy, as twemproxy does. */
export class StatsSnapshot {
  private pools: PoolSnapshot[] = [];
  private routing: RoutingTable = {};
  private totalConnections = 0;
  private currentConnections = 0;

  constructor(private readonly version: string, private readonly startedAt: number) {}

  take(pools: readonly Pool[]): void {
    this.pools = pools.map((pool) => ({
      name: pool.name,
      stats: { ...pool.stats },
      servers: pool.servers.map((server) => ({ name: server.name, stats: { ...server.stats } })),
    }));
    this.routing = routingTable(pools);
    // twemproxy counts its listening sockets as connections too (one per pool), so an idle
    // proxy shows curr_connections = pools + server connections: the same figures here.
    this.totalConnections = connectionCounts.total + pools.length;
    this.currentConnections = connectionCounts.current + pools.length;
  }

  /** Prometheus text exposition of the same counters, with HELP and TYPE for every metric. */
  toPrometheus(): string {
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    metric('nutcracker_uptime_seconds', 'gauge', 'seconds since nutcracker started',
      [['', Math.floor((Date.now() - this.startedAt) / 1000)]]);
    metric('nutcracker_total_connections', 'counter', 'connections opened since start', [['', this.totalConnections]]);
    metric('nutcracker_curr_connections', 'gauge', 'connections open now', [['', this.currentConnections]]);
    for (const key of Object.keys(POOL_STAT_DESCRIPTIONS) as (keyof PoolStats)[]) {
      metric(`nutcracker_pool_${key}`, GAUGES.has(key) ? 'gauge' : 'counter', helpText(POOL_STAT_DESCRIPTIONS[key]),
        this.pools.map((pool) => [`{pool="${labelValue(pool.name)}"}`, pool.stats[key]]));
    }
    for (const key of Object.keys(SERVER_STAT_DESCRIPTIONS) as (keyof ServerStats)[]) {
      const samples: [string, number][] = [];
      for (const pool of this.pools) {
        for (const server of pool.servers) {
          samples.push([`{pool="${labelValue(pool.name)}",server="${labelValue(server.name)}"}`, server.stats[key]]);
        }
      }
      metric(`nutcracker_server_${key}`, GAUGES.has(key) ? 'gauge' : 'counter', helpText(SERVER_STAT_DESCRIPTIONS[key]), samples);
    }
    for (const { name, type, help, samples } of routingMetrics(this.routing)) metric(name, type, help, samples);
    return `${lines.join('\n')}\n`;
  }

  /** Each pool's servers with their addresses (GET /routing). */
  toRoutingJson(): string {
    return JSON.stringify({ pools: this.routing });
  }

  toJson(): string {
    const now = Date.now();
    const header = `{"service":"nutcracker", "source":${JSON.stringify(hostname())}, "version":${JSON.stringify(this.version)}, ` +
      `"uptime":${Math.floor((now - this.startedAt) / 1000)}, "timestamp":${Math.floor(now / 1000)}, ` +
      `"total_connections":${this.totalConnections}, "curr_connections":${this.currentConnections}`;
    const pools = this.pools.map((pool) => {
      const servers = pool.servers.map((server) => `${JSON.stringify(server.name)}: {${fields(server.stats)}}`);
      return `${JSON.stringify(pool.name)}: {${[fields(pool.stats), servers.join(',')].filter((part) => part !== '').join(', ')}}`;
    });
    return `${header}${pools.length > 0 ? `, ${pools.join(',')}` : ''}}`;
  }
}

function fields(stats: object): string {
  return Object.entries(stats).map(([key, value]) => `"${key}":${value as number}`).join(', ');
}

/** The -D description without its quotes, for a HELP line (backslash and line feed escaped, as the format requires). */
function helpText(description: string): string {
  return description.replace(/^"|"$/g, '').replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
