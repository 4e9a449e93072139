// The nutcracker command: twemproxy's command line, signals, pid file and daemon mode.
import { spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs, usageText, UsageError, type CliOptions } from './args.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { formatProblem } from '../config/errors.js';
import type { Config } from '../config/types.js';
import { Proxy } from '../proxy/proxy.js';
import { LOG_WARN, log, logNotice } from '../log/logger.js';
import { POOL_STAT_DESCRIPTIONS, SERVER_STAT_DESCRIPTIONS } from '../stats/counters.js';
import { dropPrivileges, identityProblems } from '../runtime/identity.js';
import { FORWARDED_SIGNALS, Supervisor } from '../runtime/supervisor.js';
import { runWorker, workerSlot } from '../runtime/worker.js';
import { proxyReloader } from '../runtime/reload.js';
import { setProcessTitle, type Running, type RunningSignals } from '../runtime/process-role.js';

/** The command's entry (main.js): what the background process of -d and the workers run. */
const ENTRY_SCRIPT = fileURLToPath(new URL('./main.js', import.meta.url));

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Set in the environment of the background process started by -d (which also has an IPC channel). */
const DAEMON_CHILD_ENV = 'NUTCRACKER_DAEMON_CHILD';
/** How long `-d` waits for the background process to report that it listens. */
const DAEMON_READY_TIMEOUT_MS = 20000;

/** When, after start, to look for an inspector opened by a SIGUSR1 that came during start-up. */
const INSPECTOR_CHECKS_MS = [0, 100, 1000, 5000];

/** Longest a graceful stop (SIGTERM/SIGINT) may take before the process exits anyway. */
const STOP_LIMIT_MS = 8000;

/** What the background process started by -d tells the command that started it. */
type DaemonMessage = { ready: true } | { error: string };

const isDaemonChild = process.env[DAEMON_CHILD_ENV] === '1' && typeof process.send === 'function';
if (isDaemonChild) delete process.env[DAEMON_CHILD_ENV];

function main(argv: string[]): void {
  // Handlers first: a signal during start-up must not kill or stop the process, nor open a debugger.
  const signals = installSignals();
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`nutcracker: ${err.message}\n\n${usageText(VERSION)}`);
    process.exit(1);
  }
  // Like twemproxy (log_stderr), everything the command itself prints goes to stderr.
  if (options.help) return void process.stderr.write(usageText(VERSION));
  if (options.version) return void process.stderr.write(`This is nutcracker-${VERSION}\n`);
  if (options.describeStats) return void process.stderr.write(describeStats());

  const config = loadConfigOrExit(options);
  if (options.testConf) {
    process.stderr.write(`nutcracker: configuration file '${options.confFile}' syntax is ok\n`);
    for (const problem of identityProblems(config)) process.stderr.write(`nutcracker: warning: ${problem}\n`);
    for (const warning of config.warnings) process.stderr.write(`nutcracker: warning: ${formatProblem(warning)}\n`);
    return;
  }
  if (cluster.isWorker) return void runWorker(config, workerOptions(options, argv), signals);
  if (options.daemonize && !isDaemonChild) return daemonize(argv);
  void run(options, config, argv, signals);
}

function loadConfigOrExit(options: CliOptions): Config {
  try {
    return loadConfig(options.confFile);
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : (err as Error).message;
    process.stderr.write(`${message}\nnutcracker: configuration file '${options.confFile}' syntax is invalid\n`);
    process.exit(1);
  }
}

/**
 * Starts this same command in the background, in its own session and detached from the caller's
 * stdio (so a caller reading our output sees EOF at once), then waits until it reports that every
 * port is bound and the pid file is written: exit 0 then, or 1 with the reason it could not start.
 */
function daemonize(argv: string[]): void {
  const child = spawn(process.execPath, [...process.execArgv, ENTRY_SCRIPT, ...argv], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: { ...process.env, [DAEMON_CHILD_ENV]: '1' },
  });
  let done = false;
  const finish = (code: number, message: string | null) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (message !== null) process.stderr.write(`nutcracker: ${message}\n`);
    if (child.connected) child.disconnect();
    child.unref();
    process.exit(code);
  };
  const timer = setTimeout(() => {
    child.kill('SIGTERM');
    finish(1, `the background process (pid ${child.pid}) did not start within ${DAEMON_READY_TIMEOUT_MS / 1000} s; stopped it`);
  }, DAEMON_READY_TIMEOUT_MS);
  child.on('message', (message: DaemonMessage) => {
    if ('ready' in message) finish(0, null);
    else finish(1, message.error);
  });
  child.on('error', (err) => finish(1, `cannot start the background process: ${err.message}`));
  // 'close' (not 'exit'): it comes after every message on the channel, so an error report is not lost.
  child.on('close', (code, signal) =>
    finish(1, `the background process exited (${signal ?? `code ${code}`}) before it was ready`));
}

/** Tells the command that started this daemon how the start went; resolves once it is sent. */
function tellParent(message: DaemonMessage): Promise<void> {
  if (!isDaemonChild || !process.connected) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      process.send!(message, undefined, {}, () => resolve());
    } catch {
      resolve();
    }
  });
}

/** Reports a start-up failure where the operator will see it (log, terminal, or the -d caller), then exits 1. */
async function failStart(message: string): Promise<never> {
  log.write(`nutcracker: ${message}`);
  if (log.toFile && !isDaemonChild) process.stderr.write(`nutcracker: ${message}\n`);
  await tellParent({ error: message });
  process.exit(1);
}

function workerOptions(options: CliOptions, argv: readonly string[]) {
  return { title: processTitle(argv, `worker ${workerSlot()}`), verbosity: options.verbosity, output: options.output, proxy: proxyOptions(options) };
}

function proxyOptions(options: CliOptions) {
  return { version: VERSION, statsAddr: options.statsAddr, statsPort: options.statsPort, statsInterval: options.statsInterval };
}

/** The master of several workers, or the one process that binds, drops privileges and serves. */
async function run(options: CliOptions, config: Config, argv: string[], signals: RunningSignals): Promise<void> {
  setProcessTitle(processTitle(argv));
  log.level = options.verbosity;
  try {
    log.setOutput(options.output);
  } catch (err) {
    return failStart(`cannot open log file '${options.output}': ${(err as Error).message}`);
  }
  const problems = identityProblems(config);
  if (problems.length > 0) return failStart(problems.join('; '));
  for (const warning of config.warnings) log.log(LOG_WARN, `warning: ${formatProblem(warning)}`);
  const running = config.global.workerProcesses > 1
    ? new Supervisor(config, { ...proxyOptions(options), count: config.global.workerProcesses, script: ENTRY_SCRIPT, args: argv })
    : new Proxy(config, proxyOptions(options));
  try {
    await running.start();
  } catch (err) {
    return failStart((err as Error).message);
  }
  if (options.pidFile !== null) {
    try {
      writePidFile(options.pidFile);
    } catch (err) {
      await running.stop();
      return failStart(`cannot write pid file '${options.pidFile}': ${(err as Error).message}`);
    }
  }
  if (running instanceof Proxy) {
    try {
      dropPrivileges(config);
    } catch (err) {
      await running.stop();
      return failStart((err as Error).message);
    }
  }
  logNotice(`nutcracker-${VERSION} started on pid ${process.pid}`);
  signals.started(running instanceof Proxy
    ? { stop: () => running.stop(), reload: proxyReloader(running, options.confFile, config) }
    : running);
  await tellParent({ ready: true });
  if (isDaemonChild && process.connected) process.disconnect();
}

/**
 * "nutcracker <args>" (what `pgrep -f` matches), as for twemproxy; a worker's is
 * "nutcracker: worker N <args>", so that `pgrep -f 'nutcracker -c ...'` finds the master alone.
 */
function processTitle(argv: readonly string[], role?: string): string {
  return [role === undefined ? 'nutcracker' : `nutcracker: ${role}`, ...argv].join(' ');
}

function writePidFile(file: string): void {
  writeFileSync(file, `${process.pid}\n`);
  process.on('exit', () => {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  });
}

/** "signal 15 (SIGTERM) received, exiting", as twemproxy logs each signal it handles. */
function logSignal(signal: NodeJS.Signals, action = ''): void {
  log.write(`signal ${constants.signals[signal]} (${signal}) received${action}`);
}

/**
 * twemproxy's signals, each logged by name. SIGINT/SIGTERM stop gracefully (a second one exits at
 * once); before the proxy has started they exit at once, as there is nothing in flight.
 * SIGUSR1 and SIGUSR2 are logged and change nothing, as in twemproxy: without a listener,
 * Node.js would open its inspector on SIGUSR1 (a debugger that any local user can attach to)
 * and die of SIGUSR2. SIGALRM, which would kill the process, is logged and ignored too.
 * SIGSEGV keeps its default action, a core dump: see the README for why it is not logged.
 * SIGPIPE is ignored, by Node.js as by twemproxy.
 */
function installSignals(): RunningSignals {
  let proxy: Running | null = null;
  for (const signal of ['SIGUSR1', 'SIGUSR2'] as const) process.on(signal, () => logSignal(signal));
  process.on('SIGALRM', () => logSignal('SIGALRM', ', ignored'));
  closeInspectorOpenedAtStart();
  process.on('SIGHUP', () => {
    logSignal('SIGHUP', ', reopening log file and reloading the configuration');
    log.reopen();
    proxy?.reload?.();
  });
  process.on('SIGTTIN', () => {
    log.levelUp();
    logSignal('SIGTTIN', `, up logging level to ${log.level}`);
  });
  process.on('SIGTTOU', () => {
    log.levelDown();
    logSignal('SIGTTOU', `, down logging level to ${log.level}`);
  });
  for (const signal of FORWARDED_SIGNALS) process.on(signal, () => proxy?.forward?.(signal));
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logSignal(signal, ' again, exiting now');
      process.exit(1);
    }
    stopping = true;
    logSignal(signal, ', exiting');
    if (proxy === null) process.exit(0);
    // The proxy bounds its own wait for replies in flight; this bounds the whole stop, whatever hangs.
    setTimeout(() => {
      log.write(`shutdown did not finish within ${STOP_LIMIT_MS} ms, exiting now`);
      process.exit(0);
    }, STOP_LIMIT_MS).unref();
    void proxy.stop().finally(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return { started: (running) => (proxy = running) };
}

/**
 * A SIGUSR1 that came while the modules loaded, before its listener existed, has opened Node's
 * inspector, or will: Node opens it from a thread of its own, later on a busy machine. Close it,
 * now and a few times during the first seconds, unless the operator asked for one with --inspect.
 */
function closeInspectorOpenedAtStart(): void {
  const asked = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].some((arg) => arg.startsWith('--inspect'));
  // A Node.js built without the inspector has none to open, and refuses to load its module.
  if (asked || !process.features.inspector) return;
  const inspector = createRequire(import.meta.url)('node:inspector') as typeof import('node:inspector');
  const closeIfOpen = () => {
    if (inspector.url() === undefined) return;
    inspector.close();
    log.write('closed the Node.js inspector that a SIGUSR1 during start-up opened');
  };
  closeIfOpen();
  for (const delay of INSPECTOR_CHECKS_MS) setTimeout(closeIfOpen, delay).unref();
}

function describeStats(): string {
  const rows = (descriptions: Record<string, string>) =>
    Object.entries(descriptions).map(([name, text]) => `    ${name.padEnd(24)}${text}`);
  return ['This is nutcracker-' + VERSION, '', 'pool stats:', ...rows(POOL_STAT_DESCRIPTIONS), '',
    'server stats:', ...rows(SERVER_STAT_DESCRIPTIONS), ''].join('\n');
}

main(process.argv.slice(2));
