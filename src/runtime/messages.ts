// What a worker process tells the master over the cluster IPC channel.
import type { StatsData } from '../stats/report.js';

export type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'failed'; error: string }
  | { kind: 'stats'; data: StatsData };

/** The worker's slot (1..N) in its environment: stable across restarts, unlike cluster's worker id. */
export const WORKER_SLOT_ENV = 'NUTCRACKER_WORKER_SLOT';

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return typeof message === 'object' && message !== null && typeof (message as { kind?: unknown }).kind === 'string';
}
