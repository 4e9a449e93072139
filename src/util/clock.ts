// Time as a dependency: modules that wait or expire things take a Clock and Timers, so the tests
// drive them with a fake clock instead of sleeping.

export interface Clock {
  /** Milliseconds, monotonic within the process. */
  now(): number;
}

/** Whatever setTimeout returned; only given back to clearTimeout. */
export type TimerHandle = object;

export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const SYSTEM_CLOCK: Clock = { now: () => performance.now() };

/** Real timers that do not keep the process alive on their own. */
export const SYSTEM_TIMERS: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
