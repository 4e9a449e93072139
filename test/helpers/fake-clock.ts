// A clock and timers the unit tests move by hand: time only passes in advance().
import type { Clock, TimerHandle, Timers } from '../../src/util/clock.js';

interface PendingTimer {
  at: number;
  order: number;
  callback: () => void;
  handle: TimerHandle;
}

export class FakeClock implements Clock, Timers {
  private time = 0;
  private order = 0;
  private pending: PendingTimer[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const handle = {};
    this.pending.push({ at: this.time + Math.max(0, ms), order: this.order++, callback, handle });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending = this.pending.filter((timer) => timer.handle !== handle);
  }

  /** When the next timer is due, or undefined when none is pending. */
  get nextDue(): number | undefined {
    return this.next()?.at;
  }

  get timerCount(): number {
    return this.pending.length;
  }

  /** Moves time forward by `ms`, running the timers that fall due in order, settling promises after each. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    for (let timer = this.next(); timer !== undefined && timer.at <= end; timer = this.next()) {
      this.pending = this.pending.filter((other) => other !== timer);
      this.time = timer.at;
      timer.callback();
      await settle();
    }
    this.time = end;
  }

  private next(): PendingTimer | undefined {
    let first: PendingTimer | undefined;
    for (const timer of this.pending) if (first === undefined || timer.at < first.at || (timer.at === first.at && timer.order < first.order)) first = timer;
    return first;
  }
}

/** Lets every promise chain that is ready run to its end. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
