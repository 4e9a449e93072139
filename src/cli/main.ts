#!/usr/bin/env node
// The nutcracker command: twemproxy's command line, signals, pid file and daemon mode.
import { spawn } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, usageText, UsageError, type CliOptions } from './args.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { Proxy } from '../proxy/proxy.js';
import { log, logNotice } from '../log/logger.js';
import { POOL_STAT_DESCRIPTIONS, SERVER_STAT_DESCRIPTIONS } from '../stats/counters.js';

/** Set in the environment of the background process started by -d. */
const DAEMON_CHILD_ENV = 'NUTCRACKER_DAEMON_CHILD';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function main(argv: string[]): void {
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`nutcracker: ${err.message}\n\n${usageText(VERSION)}`);
    process.exit(1);
  }
  if (options.help) return void process.stdout.write(usageText(VERSION));
  if (options.version) return void process.stdout.write(`This is nutcracker-${VERSION}\n`);
  if (options.describeStats) return void process.stdout.write(describeStats());

  const config = loadConfigOrExit(options);
  if (options.testConf) {
    process.stdout.write(`nutcracker: configuration file '${options.confFile}' syntax is ok\n`);
    return;
  }
  if (options.daemonize && process.env[DAEMON_CHILD_ENV] === undefined) return daemonize(argv);
  void run(options, config, argv);
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

/** Starts this same command in the background, detached from the terminal and the caller's stdio. */
function daemonize(argv: string[]): void {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [script, ...argv], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, [DAEMON_CHILD_ENV]: '1' },
  });
  child.unref();
}

async function run(options: CliOptions, config: Config, argv: string[]): Promise<void> {
  process.title = ['nutcracker', ...argv].join(' ');
  log.level = options.verbosity;
  try {
    log.setOutput(options.output);
  } catch (err) {
    process.stderr.write(`nutcracker: cannot open log file '${options.output}': ${(err as Error).message}\n`);
    process.exit(1);
  }
  const proxy = new Proxy(config, {
    version: VERSION,
    statsAddr: options.statsAddr,
    statsPort: options.statsPort,
    statsInterval: options.statsInterval,
  });
  try {
    await proxy.start();
  } catch (err) {
    log.write(`nutcracker: ${(err as Error).message}`);
    if (options.output !== null) process.stderr.write(`nutcracker: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (options.pidFile !== null) writePidFile(options.pidFile);
  logNotice(`nutcracker-${VERSION} started on pid ${process.pid}`);
  installSignals(proxy);
}

function writePidFile(file: string): void {
  try {
    writeFileSync(file, `${process.pid}\n`);
  } catch (err) {
    log.write(`nutcracker: cannot write pid file '${file}': ${(err as Error).message}`);
    process.exit(1);
  }
  process.on('exit', () => {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  });
}

function installSignals(proxy: Proxy): void {
  process.on('SIGHUP', () => {
    log.write('signal 1 (SIGHUP) received, reopening log file');
    log.reopen();
  });
  process.on('SIGTTIN', () => {
    log.levelUp();
    log.write(`signal 21 (SIGTTIN) received, up logging level to ${log.level}`);
  });
  process.on('SIGTTOU', () => {
    log.levelDown();
    log.write(`signal 22 (SIGTTOU) received, down logging level to ${log.level}`);
  });
  let stopping = false;
  const stop = (signal: string, number: number) => {
    log.write(`signal ${number} (${signal}) received, exiting`);
    if (stopping) return;
    stopping = true;
    void proxy.stop().finally(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT', 2));
  process.on('SIGTERM', () => stop('SIGTERM', 15));
}

function describeStats(): string {
  const rows = (descriptions: Record<string, string>) =>
    Object.entries(descriptions).map(([name, text]) => `    ${name.padEnd(24)}${text}`);
  return ['This is nutcracker-' + VERSION, '', 'pool stats:', ...rows(POOL_STAT_DESCRIPTIONS), '',
    'server stats:', ...rows(SERVER_STAT_DESCRIPTIONS), ''].join('\n');
}

main(process.argv.slice(2));
