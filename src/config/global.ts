// The extended layout's `global:` section.
import { availableParallelism } from 'node:os';
import { readNameservers } from './discovery-keys.js';
import { POOL_KEYS } from './pool.js';
import type { Section } from './section.js';
import type { GlobalConfig } from './types.js';

export const GLOBAL_KEYS: readonly string[] = ['worker_processes', 'user', 'group', 'dns_servers'];

const DEFAULT_WORKER_PROCESSES = 1;

/** The global options of a classic layout, or of an extended one without `global:`. */
export function defaultGlobal(): GlobalConfig {
  return { workerProcesses: DEFAULT_WORKER_PROCESSES, user: null, group: null, dnsServers: [] };
}

export function parseGlobal(section: Section): GlobalConfig {
  section.reportUnknownKeys(GLOBAL_KEYS, (key) =>
    POOL_KEYS.includes(key) ? "is a pool option: put it in each pool under 'pools:'" : null);
  const dnsServers = readNameservers(section, 'dns_servers') ?? [];
  return {
    workerProcesses: readWorkerProcesses(section),
    user: readIdentity(section, 'user'),
    group: readIdentity(section, 'group'),
    dnsServers,
  };
}

/** `user`/`group` name who the workers run as after binding; whether they exist is checked at start (runtime/identity). */
function readIdentity(section: Section, key: 'user' | 'group'): string | null {
  return section.text(key) ?? null;
}

/** `auto` (one per CPU) or N >= 1. */
function readWorkerProcesses(section: Section): number {
  const text = section.text('worker_processes');
  if (text === undefined) return DEFAULT_WORKER_PROCESSES;
  if (text === 'auto') return availableParallelism();
  const count = Number(text);
  if (!(/^[0-9]+$/.test(text) && count >= 1)) {
    section.problem(section.entry('worker_processes')!, `must be 'auto' or a whole number >= 1, not '${text}'`);
    return DEFAULT_WORKER_PROCESSES;
  }
  return count;
}
