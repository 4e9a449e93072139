// A log message that can come in floods (a client sending 100,000 unknown commands, accept()
// failing for every new client when the open file limit is reached): one line per burst, and a
// count of the rest, so a flood cannot fill the disk or drown the other lines.
import { log } from './logger.js';

export class BurstLog {
  /** Date.now() time until which repeats are counted instead of written. */
  private windowEnd = 0;
  private repeats = 0;
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param level the log level of the lines
   * @param repeatsName what the count line calls the repeats, e.g. "unsupported commands"
   * @param windowMs how long after a written line repeats are only counted
   */
  constructor(private readonly level: number, private readonly repeatsName: string, private readonly windowMs: number) {}

  /** Writes `message` if no line of this burst was written in the last `windowMs`; counts it otherwise. */
  write(message: string): void {
    if (!log.enabled(this.level)) return;
    const now = Date.now();
    if (now < this.windowEnd) {
      this.repeats++;
      this.timer ??= setTimeout(() => this.writeRepeats(), this.windowEnd - now).unref();
      return;
    }
    // A busy event loop may run this before the timer: the last window's count comes first.
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.writeRepeats();
    }
    this.windowEnd = now + this.windowMs;
    log.write(message);
  }

  private writeRepeats(): void {
    this.timer = null;
    log.write(`... and ${this.repeats} more ${this.repeatsName} in ${this.windowMs / 1000} s, not logged one by one`);
    this.repeats = 0;
  }
}
