// twemproxy-style logging: levels 0..11, stderr or a file that can be reopened (SIGHUP).
import { closeSync, openSync, writeSync } from 'node:fs';

export const LOG_EMERG = 0;
export const LOG_ALERT = 1;
export const LOG_CRIT = 2;
export const LOG_ERR = 3;
export const LOG_WARN = 4;
export const LOG_NOTICE = 5;
export const LOG_INFO = 6;
export const LOG_DEBUG = 7;
export const LOG_VERB = 8;
export const LOG_VVERB = 9;
export const LOG_VVVERB = 10;
export const LOG_PVERB = 11;
export const LOG_LEVEL_MIN = LOG_EMERG;
export const LOG_LEVEL_MAX = LOG_PVERB;

const STDERR_FD = 2;

class Logger {
  level = LOG_NOTICE;
  private file: string | null = null;
  private fd = STDERR_FD;

  /** Sends log lines to `file` (appending), or to stderr when null. Throws if it cannot be opened. */
  setOutput(file: string | null): void {
    const fd = file === null ? STDERR_FD : openSync(file, 'a');
    this.closeFile();
    this.file = file;
    this.fd = fd;
  }

  /** True when lines go to a log file (-o), false when they go to stderr. */
  get toFile(): boolean {
    return this.fd !== STDERR_FD;
  }

  /** Reopens the log file, so that log rotation tools can move it away (SIGHUP). */
  reopen(): void {
    if (this.file === null) return;
    try {
      this.setOutput(this.file);
    } catch (err) {
      this.write(`reopening log file '${this.file}' failed: ${(err as Error).message}`);
    }
  }

  levelUp(): void {
    if (this.level < LOG_LEVEL_MAX) this.level++;
  }

  levelDown(): void {
    if (this.level > LOG_LEVEL_MIN) this.level--;
  }

  enabled(level: number): boolean {
    return level <= this.level;
  }

  log(level: number, message: string): void {
    if (level <= this.level) this.write(message);
  }

  /** Writes regardless of the level (twemproxy's log_safe / log_stderr). */
  write(message: string): void {
    const line = `[${timestamp()}] ${message}\n`;
    try {
      writeSync(this.fd, line);
    } catch {
      // A log that cannot be written must never take the proxy down.
    }
  }

  private closeFile(): void {
    if (this.fd !== STDERR_FD) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
    }
    this.fd = STDERR_FD;
  }
}

function timestamp(): string {
  const now = new Date();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ` +
    `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}`;
}

export const log = new Logger();

export const logError = (message: string) => log.log(LOG_ERR, message);
export const logNotice = (message: string) => log.log(LOG_NOTICE, message);
export const logInfo = (message: string) => log.log(LOG_INFO, message);
export const logDebug = (message: string) => log.log(LOG_DEBUG, message);
