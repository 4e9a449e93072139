// Drives redis-benchmark: builds its command line from a Load, runs it, and parses its --csv output.
import type { ChildProcess } from 'node:child_process';
import { spawnTracked, stopChild } from './processes.js';

/** What redis-benchmark sends: its own tests (-t, e.g. "set,get"), or one custom command. */
export type Load = {
  clients: number;
  /** Requests per pipeline (1: none). */
  pipeline: number;
  /** Bytes per SET value (redis-benchmark's -d). */
  valueSize: number;
  /** Keys are drawn at random from this many (redis-benchmark's -r). */
  keyspace: number;
  requests: number;
} & ({ tests: string } | { command: readonly string[] });

/** One CSV row: a test (SET, GET, or the custom command's name) and its figures. */
export interface BenchmarkFigures {
  test: string;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export function benchmarkArgs(port: number, load: Load): string[] {
  const args = [
    '-h', '127.0.0.1', '-p', String(port), '-c', String(load.clients), '-n', String(load.requests),
    '-P', String(load.pipeline), '-d', String(load.valueSize), '-r', String(load.keyspace), '--csv',
  ];
  return 'tests' in load ? [...args, '-t', load.tests] : [...args, ...load.command];
}

/** Runs one load against `port` to completion; rejects when it fails or outlasts `timeoutMs`. */
export async function runBenchmark(port: number, load: Load, timeoutMs: number): Promise<BenchmarkFigures[]> {
  const child = spawnTracked('redis-benchmark', benchmarkArgs(port, load));
  const output = collect(child);
  const timer = setTimeout(() => void stopChild(child), timeoutMs);
  const code = await exitCode(child);
  clearTimeout(timer);
  if (child.signalCode !== null) throw new Error(`redis-benchmark stopped after the ${timeoutMs / 1000} s limit`);
  if (code !== 0) throw new Error(`redis-benchmark exited with ${code}: ${output.stderr.trim().slice(-300)}`);
  return parseCsv(output.stdout);
}

/** Starts the load in redis-benchmark's loop mode (-l); it runs until stopped with stopChild. */
export function startLoop(port: number, load: Load): ChildProcess {
  return spawnTracked('redis-benchmark', [...benchmarkArgs(port, load), '-l'], 'ignore');
}

/**
 * redis-benchmark 7's CSV: a header naming the columns ("test","rps",...,"p50_latency_ms",...),
 * then one quoted row per test. A custom command's test is its whole command line: keep its name.
 */
export function parseCsv(text: string): BenchmarkFigures[] {
  const [header, ...rows] = text.trim().split('\n').filter((line) => line.startsWith('"')).map(splitCsvLine);
  if (header === undefined) throw new Error(`redis-benchmark printed no CSV: ${text.slice(0, 300)}`);
  const column = (name: string) => {
    const index = header.indexOf(name);
    if (index === -1) throw new Error(`redis-benchmark CSV has no "${name}" column: ${header.join(',')}`);
    return index;
  };
  const [test, rps, p50, p99] = ['test', 'rps', 'p50_latency_ms', 'p99_latency_ms'].map(column) as [number, number, number, number];
  return rows.map((row) => ({
    test: row[test]!.split(' ')[0]!.toUpperCase(),
    opsPerSec: Number(row[rps]),
    p50Ms: Number(row[p50]),
    p99Ms: Number(row[p99]),
  }));
}

function splitCsvLine(line: string): string[] {
  return line.trim().slice(1, -1).split('","');
}

function collect(child: ChildProcess): { stdout: string; stderr: string } {
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  return output;
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}
