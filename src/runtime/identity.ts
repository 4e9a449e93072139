// The global `user` / `group`: who the proxy runs as once its ports are bound. Names are looked
// up with getent, so they come from wherever the system keeps them (files, LDAP, ...).
import { spawnSync } from 'node:child_process';
import type { Config } from '../config/types.js';

interface Account {
  name: string;
  id: number;
  /** The primary group of a user; the group's own id for a group. */
  gid: number;
}

/** Names that mean the same on different distributions (Debian's nobody user has group nogroup). */
const SAME_MEANING: Record<string, string> = { nobody: 'nogroup', nogroup: 'nobody' };

function lookUp(database: 'passwd' | 'group', name: string): Account | null {
  const result = spawnSync('getent', [database, name], { encoding: 'utf8' });
  if (result.status !== 0) return null;
  const fields = result.stdout.split('\n')[0]!.split(':');
  const id = Number(fields[2]);
  return { name, id, gid: database === 'passwd' ? Number(fields[3]) : id };
}

/**
 * What is wrong with the configured user and group on this machine (empty when both exist):
 * one sentence each, naming the key, the file and how to fix it.
 */
export function identityProblems(config: Config): string[] {
  const problems: string[] = [];
  for (const key of ['user', 'group'] as const) {
    const name = config.global[key];
    if (name === null || lookUp(key === 'user' ? 'passwd' : 'group', name) !== null) continue;
    const other = SAME_MEANING[name];
    const hint = other !== undefined && lookUp(key === 'user' ? 'passwd' : 'group', other) !== null
      ? `this system calls it '${other}': set '${key}: ${other}'`
      : `create it, or name an existing ${key}`;
    problems.push(`${key} '${name}' (global '${key}:' in ${config.file}) does not exist on this system: ${hint}`);
  }
  return problems;
}

/**
 * Switches this process to the configured group and user, with that group alone (no supplementary
 * groups: root's would otherwise stay).
 * Throws with a sentence to show the operator when the names are unknown or the switch is refused.
 */
export function dropPrivileges(config: Config): void {
  const { user: userName, group: groupName } = config.global;
  if (userName === null && groupName === null) return;
  const problems = identityProblems(config);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const user = userName === null ? null : lookUp('passwd', userName)!;
  const gid = groupName === null ? user!.gid : lookUp('group', groupName)!.gid;
  try {
    process.setgroups!([gid]);
    process.setgid!(gid);
    if (user !== null) process.setuid!(user.id);
  } catch (err) {
    const who = [userName === null ? null : `user '${userName}'`, groupName === null ? null : `group '${groupName}'`].filter(Boolean).join(' and ');
    throw new Error(`cannot switch to ${who} (global keys in ${config.file}): ${(err as Error).message}; ` +
      'start nutcracker as root to change its user, or remove the keys');
  }
}
