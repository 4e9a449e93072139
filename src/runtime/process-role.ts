// What every process role (the one proxy process, the master, a worker) shares: its name in ps,
// and what its signal handlers act on.
import { writeFileSync } from 'node:fs';

/**
 * What the signals act on: SIGINT/SIGTERM stop it, SIGHUP reloads its config; the master of the
 * workers also forwards SIGHUP, SIGTTIN and SIGTTOU to them.
 */
export interface Running {
  stop(): Promise<void>;
  reload?(): void;
  forward?(signal: NodeJS.Signals): void;
}

/** Tells the signal handlers what a SIGINT/SIGTERM stops once it runs. */
export interface RunningSignals {
  started(running: Running): void;
}

/**
 * `ps` shows `title`, and the short name is plain "nutcracker" (what `ps -C`, `pgrep -x`,
 * `pidof` and `killall` match), as for twemproxy.
 */
export function setProcessTitle(title: string): void {
  process.title = title;
  try {
    // process.title also sets the short name, cut to 15 bytes ("nutcracker -c /"): set it alone.
    writeFileSync('/proc/self/comm', 'nutcracker');
  } catch {
    // not Linux, or no /proc: the short name stays as the platform set it
  }
}
