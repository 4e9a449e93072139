// Running commands the way an operator does (the nutcracker CLI, redis-cli, ps, pgrep) with bounded
// waits, and watching processes that are not our children (a daemon) through /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { NUTCRACKER_MAIN } from './nutcracker.js';
import { waitFor } from './ports.js';

export interface CommandResult {
  /** Exit code, or null when killed by a signal (or by the timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion (stdin closed, or fed `input`), killing it after `timeoutMs`.
 * Resolves when it has exited AND its stdout/stderr reached EOF.
 */
export function runCommand(command: string, args: readonly string[],
  options: { cwd?: string; timeoutMs?: number; input?: string | Buffer } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (options.input !== undefined) {
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(options.input);
    }
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs the built nutcracker command (`node dist/src/cli/main.js ...`) to completion. */
export function runNutcracker(args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return runCommand(process.execPath, [NUTCRACKER_MAIN, ...args], options);
}

/** redis-cli with its arguments; stdout without the trailing newline. */
export async function redisCli(args: readonly string[], timeoutMs = 10000): Promise<string> {
  const result = await runCommand('redis-cli', args, { timeoutMs });
  if (result.code !== 0) throw new Error(`redis-cli ${args.join(' ')} exited with ${result.code}: ${result.stderr}`);
  return result.stdout.replace(/\n$/, '');
}

/** A long-running nutcracker started by a test with arguments of its choosing; output collected. */
export class CliProcess {
  output = '';
  private exitCode: number | null = null;
  private readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => {
      this.exitCode = code;
      resolve(code);
    }));
  }

  /** Starts nutcracker and waits (up to 10 s) until `ready` is true; fails if it exits first. */
  static async start(args: readonly string[], ready: () => Promise<boolean>): Promise<CliProcess> {
    const cli = new CliProcess(spawn(process.execPath, [NUTCRACKER_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      await waitFor('nutcracker to start', async () => {
        if (cli.child.exitCode !== null) throw new Error(`nutcracker exited with ${cli.child.exitCode}: ${cli.output}`);
        return ready().catch(() => false);
      }, 10000);
    } catch (err) {
      await cli.stop();
      throw err;
    }
    return cli;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits up to `timeoutMs` for it to exit on its own; its exit code, or undefined if still running. */
  async waitExit(timeoutMs: number): Promise<number | null | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    return result;
  }

  /** SIGTERM, then SIGKILL after 5 s; returns the exit code. Safe to call more than once. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.exitCode;
    this.child.kill('SIGTERM');
    const code = await this.waitExit(5000);
    if (code !== undefined) return code;
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

/**
 * True while the process exists and is not a zombie. Works for processes that are not our
 * children (a daemon re-parented to init), which process.kill(pid, 0) would still see as zombies.
 */
export function processRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The command line of a process as `ps -o args=` shows it. */
export async function psArgs(pid: number): Promise<string> {
  const result = await runCommand('ps', ['-o', 'args=', '-p', String(pid)]);
  return result.stdout.trim();
}

/** Pids whose full command line matches `pattern`, as `pgrep -f` finds them. */
export async function pgrep(pattern: string): Promise<number[]> {
  const result = await runCommand('pgrep', ['-f', pattern]);
  return result.stdout.split('\n').filter((line) => line.trim() !== '').map(Number);
}

/** Kills a child process (SIGKILL) if it still runs, and waits until it has exited. */
export async function killChild(child: ChildProcess | null): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Kills a process that is not our child (SIGKILL), if it still runs, and waits (up to 5 s) until it is gone. */
export async function killPid(pid: number): Promise<void> {
  if (!processRunning(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitFor(`pid ${pid} to die`, () => !processRunning(pid), 5000).catch(() => undefined);
}

/** Contents of a file, or '' while it does not exist. */
export function readIfExists(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
