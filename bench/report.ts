// Turns results into the printed tables and the --json document: ratios to direct and to the reference.
import type { MemoryRow, RunResults, ThroughputRow } from './results.js';
import type { Scenario } from './scenarios.js';

interface RatedRow extends ThroughputRow {
  /** ops/s over direct's for the same scenario and test (proxies only; null without a direct figure). */
  vsDirect: number | null;
  /** This proxy's ops/s over the reference's (null on direct and reference rows, or without a reference). */
  vsReference: number | null;
}

/**
 * A scenario's ops/s over its baseline scenario's, per test and target (ring-1000 over ring-4); or,
 * in a scenario of variants, each variant's over the first's (baseline `scenario:variant`).
 */
interface Comparison {
  scenario: string;
  baseline: string;
  test: string;
  target: string;
  ratio: number;
}

/** The printed report: throughput, baseline comparisons, memory, then what failed. */
export function renderReport(scenarios: readonly Scenario[], results: RunResults): string {
  const rated = rate(results.throughput);
  const comparisons = compareWithBaselines(scenarios, results.throughput);
  const sections = [
    rated.length > 0 ? throughputTable(rated) : '',
    comparisons.length > 0 ? comparisonTable(comparisons) : '',
    results.memory.length > 0 ? memoryTable(results.memory) : '',
    ...results.failures.map((failure) => `FAILED ${failure.scenario}: ${failure.error}`),
  ];
  return sections.filter((section) => section !== '').join('\n\n');
}

/** The --json document: the same figures with their ratios, and what they were measured with. */
export function reportDocument(scenarios: readonly Scenario[], results: RunResults, context: Record<string, unknown>): object {
  return {
    ...context,
    throughput: rate(results.throughput),
    comparisons: compareWithBaselines(scenarios, results.throughput),
    memory: results.memory,
    failures: results.failures,
  };
}

function rate(rows: readonly ThroughputRow[]): RatedRow[] {
  const opsOf = (row: ThroughputRow, target: string) =>
    rows.find((other) => other.scenario === row.scenario && other.test === row.test && other.target === target)?.opsPerSec;
  return rows.map((row) => ({
    ...row,
    vsDirect: row.target === 'direct' ? null : ratio(row.opsPerSec, opsOf(row, 'direct')),
    vsReference: row.target === 'direct' || row.target === 'reference' ? null : ratio(row.opsPerSec, opsOf(row, 'reference')),
  }));
}

function compareWithBaselines(scenarios: readonly Scenario[], rows: readonly ThroughputRow[]): Comparison[] {
  return [...compareScenarios(scenarios, rows), ...compareVariants(scenarios, rows)];
}

function compareScenarios(scenarios: readonly Scenario[], rows: readonly ThroughputRow[]): Comparison[] {
  return scenarios.flatMap((scenario) => {
    const baseline = scenario.measure.kind === 'throughput' ? scenario.measure.baseline : undefined;
    if (baseline === undefined) return [];
    return rows.filter((row) => row.scenario === scenario.name).flatMap((row) => {
      const base = rows.find((other) => other.scenario === baseline && other.test === row.test && other.target === row.target);
      return base === undefined ? [] : [{ scenario: row.scenario, baseline, test: row.test, target: row.target, ratio: row.opsPerSec / base.opsPerSec }];
    });
  });
}

function compareVariants(scenarios: readonly Scenario[], rows: readonly ThroughputRow[]): Comparison[] {
  return scenarios.flatMap((scenario) => {
    const [first, ...others] = scenario.measure.kind === 'throughput' ? scenario.measure.variants ?? [] : [];
    if (first === undefined) return [];
    const ofVariant = (name: string, test: string) => rows.find((row) => row.scenario === scenario.name && row.test === test && row.target === name);
    return others.flatMap((variant) => rows.filter((row) => row.scenario === scenario.name && row.target === variant.name).flatMap((row) => {
      const base = ofVariant(first.name, row.test);
      return base === undefined ? [] : [{ scenario: scenario.name, baseline: `${scenario.name}:${first.name}`, test: row.test, target: row.target, ratio: row.opsPerSec / base.opsPerSec }];
    }));
  });
}

/** ops/s is the median over the runs, with the lowest and highest run beside it; load is the machine's 1-minute load average over the runs. */
function throughputTable(rows: readonly RatedRow[]): string {
  return table(
    ['scenario', 'test', 'target', 'ops/s', 'min-max', 'p50 ms', 'p99 ms', 'vs direct', 'vs reference', 'runs', 'load'],
    rows.map((row) => [
      row.scenario, row.test, row.target, row.opsPerSec.toFixed(0), `${row.minOpsPerSec.toFixed(0)}-${row.maxOpsPerSec.toFixed(0)}`,
      row.p50Ms.toFixed(3), row.p99Ms.toFixed(3), times(row.vsDirect), times(row.vsReference), String(row.runs), loadRange(row),
    ]),
  );
}

function loadRange(row: ThroughputRow): string {
  const loads = row.each.map((run) => run.loadAverage);
  return `${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`;
}

function memoryTable(rows: readonly MemoryRow[]): string {
  return table(
    ['scenario', 'target', 'start MB', 'end MB', 'peak MB', 'slope MB/min', 'note'],
    rows.map((row) => [
      row.scenario, row.target, row.startMb.toFixed(1), row.endMb.toFixed(1), row.peakMb.toFixed(1),
      row.slopeMbPerMin === null ? '' : row.slopeMbPerMin.toFixed(2), row.note,
    ]),
  );
}

function comparisonTable(comparisons: readonly Comparison[]): string {
  return table(
    ['scenario', 'baseline', 'test', 'target', 'ops/s vs baseline'],
    comparisons.map((c) => [c.scenario, c.baseline, c.test, c.target, times(c.ratio)]),
  );
}

function ratio(value: number, base: number | undefined): number | null {
  return base === undefined || base === 0 ? null : value / base;
}

function times(value: number | null): string {
  return value === null ? 'n/a' : `${value.toFixed(2)}x`;
}

/** Columns padded to their widest cell; numbers, ranges (and n/a) right-aligned. */
function table(headers: readonly string[], rows: readonly string[][]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]!.length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((row) => /^(n\/a|-?[\d.]+x?|[\d.]+-[\d.]+|)$/.test(row[i]!)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
