// A process's resident size, read from /proc/<pid>/status (VmRSS), once or sampled over time.
import { readFileSync } from 'node:fs';

export interface RssSample {
  /** Milliseconds since sampling started. */
  atMs: number;
  rssMb: number;
}

export function readRssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/**
 * Samples every `intervalMs` (the first after one interval) while `work` runs; fails if the process
 * could not be read (it exited).
 */
export async function sampleRssDuring<T>(pid: number, intervalMs: number, work: () => Promise<T>): Promise<{ result: T; samples: RssSample[] }> {
  const started = Date.now();
  const samples: RssSample[] = [];
  let failure: unknown = null;
  const timer = setInterval(() => {
    try {
      samples.push({ atMs: Date.now() - started, rssMb: readRssMb(pid) });
    } catch (err) {
      failure = err;
      clearInterval(timer);
    }
  }, intervalMs);
  try {
    const result = await work();
    if (failure !== null) throw failure;
    return { result, samples };
  } finally {
    clearInterval(timer);
  }
}
