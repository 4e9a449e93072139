// What a worker process tells the master over the cluster IPC channel.
import type { StatsData } from '../stats/report.js';

export type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'failed'; error: string }
  | { kind: 'stats'; data: StatsData };

/** What the master tells a worker: read the config file again and apply it (the master checked it). */
export type MasterMessage = { kind: 'reload' };

/** The worker's slot (1..N) in its environment: stable across restarts, unlike cluster's worker id. */
export const WORKER_SLOT_ENV = 'NUTCRACKER_WORKER_SLOT';

/** Whether an IPC message is one of ours (cluster's own have no `kind`). */
export function isOwnMessage<T extends WorkerMessage | MasterMessage>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { kind?: unknown }).kind === 'string';
}
