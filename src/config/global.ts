// The extended layout's `global:` section.
import { availableParallelism } from 'node:os';
import { readNameservers } from './extensions.js';
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
    user: readUnbuiltIdentity(section, 'user'),
    group: readUnbuiltIdentity(section, 'group'),
    dnsServers,
  };
}

/** `user`/`group` (drop privileges after binding) are not built: refused rather than silently ignored. */
function readUnbuiltIdentity(section: Section, key: 'user' | 'group'): string | null {
  const text = section.text(key);
  if (text === undefined) return null;
  section.problem(section.entry(key)!, `is not supported yet by this version: remove it, and start the proxy as ${key} '${text}' instead`);
  return text;
}

/** `auto` (one per CPU) or N >= 1; only one process is built so far. */
function readWorkerProcesses(section: Section): number {
  const text = section.text('worker_processes');
  if (text === undefined) return DEFAULT_WORKER_PROCESSES;
  const isAuto = text === 'auto';
  const count = isAuto ? availableParallelism() : Number(text);
  if (!isAuto && !(/^[0-9]+$/.test(text) && count >= 1)) {
    section.problem(section.entry('worker_processes')!, `must be 'auto' or a whole number >= 1, not '${text}'`);
    return DEFAULT_WORKER_PROCESSES;
  }
  if (count !== 1) {
    const resolved = isAuto ? ` ('auto' is ${count} on this machine)` : '';
    section.problem(section.entry('worker_processes')!,
      `asks for ${count} processes${resolved}: more than 1 worker process is not supported yet by this version: remove it or set it to 1`);
  }
  return count;
}
