// Prometheus text for the stats port's /metrics, rendered by prom-client from one stats snapshot
// (so /metrics and the JSON always show the same moment, also when it is the sum over workers).
import { Counter, Gauge, Registry } from 'prom-client';
import { POOL_STAT_DESCRIPTIONS, SERVER_STAT_DESCRIPTIONS, type PoolStats, type ServerStats } from './counters.js';
import type { StatsData } from './report.js';
import { routingMetrics } from './routing.js';

/** twemproxy fields that go up and down (the others are counters, and get Prometheus's `_total`). */
const GAUGES = new Set<string>([
  'client_connections', 'server_connections', 'in_queue', 'in_queue_bytes', 'out_queue', 'out_queue_bytes',
]);
/** A Unix time in microseconds in twemproxy, in seconds (Prometheus's unit) here. */
const EJECTED_AT = 'server_ejected_at';
const EJECTED_AT_METRIC = 'nutcracker_server_ejected_timestamp_seconds';
const MICROSECONDS_PER_SECOND = 1e6;

/**
 * The metric name of a twemproxy field: `nutcracker_pool_<field>` and `nutcracker_server_<field>`
 * without the field's own `server_` prefix, counters ending in `_total`.
 */
function metricName(scope: 'pool' | 'server', field: string): string {
  if (field === EJECTED_AT) return EJECTED_AT_METRIC;
  const base = `nutcracker_${scope}_${scope === 'server' ? field.replace(/^server_/, '') : field}`;
  return GAUGES.has(field) ? base : `${base}_total`;
}

export function prometheusText(data: StatsData, uptimeSeconds: number): Promise<string> {
  const registry = new Registry();
  const registers = [registry];
  new Gauge({ name: 'nutcracker_uptime_seconds', help: 'seconds since nutcracker started', registers }).set(uptimeSeconds);
  new Counter({ name: 'nutcracker_connections_total', help: 'connections opened since start', registers }).inc(data.totalConnections);
  new Gauge({ name: 'nutcracker_curr_connections', help: 'connections open now', registers }).set(data.currentConnections);
  for (const key of Object.keys(POOL_STAT_DESCRIPTIONS) as (keyof PoolStats)[]) {
    const metric = newMetric(registry, metricName('pool', key), POOL_STAT_DESCRIPTIONS[key], ['pool'], GAUGES.has(key));
    for (const pool of data.pools) metric({ pool: pool.name }, pool.stats[key]);
  }
  for (const key of Object.keys(SERVER_STAT_DESCRIPTIONS) as (keyof ServerStats)[]) {
    const metric = newMetric(registry, metricName('server', key), SERVER_STAT_DESCRIPTIONS[key], ['pool', 'server'], key === EJECTED_AT || GAUGES.has(key));
    const scale = key === EJECTED_AT ? 1 / MICROSECONDS_PER_SECOND : 1;
    for (const pool of data.pools) {
      for (const server of pool.servers) metric({ pool: pool.name, server: server.name }, server.stats[key] * scale);
    }
  }
  for (const series of routingMetrics(data.routing)) {
    const metric = newMetric(registry, series.name, series.help, ['pool', 'server', 'address'], series.gauge);
    for (const { labels, value } of series.samples) metric(labels, value);
  }
  return registry.metrics();
}

type Sample = (labels: Record<string, string>, value: number) => void;

function newMetric(registry: Registry, name: string, description: string, labelNames: string[], gauge: boolean): Sample {
  const options = { name, help: description.replace(/^"|"$/g, ''), labelNames, registers: [registry] };
  if (gauge) {
    const metric = new Gauge(options);
    return (labels, value) => metric.set(labels, value);
  }
  const metric = new Counter(options);
  return (labels, value) => metric.inc(labels, value);
}
