// The open-file limit (ulimit -n): idle-connection scenarios need one descriptor per connection,
// in this process and in the proxy (which inherits the limit).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface FileLimit {
  soft: number;
  hard: number;
}

/** This process's limit; the soft one is raised to the hard one first (with prlimit) when it is lower. */
export function raiseFileLimit(): FileLimit {
  const limit = readFileLimit();
  if (limit.soft >= limit.hard) return limit;
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${limit.hard}:${limit.hard}`], { stdio: 'ignore' });
  } catch {
    // prlimit missing or refused: keep the soft limit, which idle-connection scenarios report.
  }
  return readFileLimit();
}

function readFileLimit(): FileLimit {
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const value = (text: string | undefined) => (text === undefined || text === 'unlimited' ? Infinity : Number(text));
  return { soft: value(match?.[1]), hard: value(match?.[2]) };
}
