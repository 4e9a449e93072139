// The smoothed latency of one address: an exponentially weighted moving average of round trips
// (request written -> whole reply read), fed by real requests and by probes.
//
// Queueing behind a pipeline is kept out by what is sampled, not by correcting the numbers: a
// connection times only a request written while nothing else was waiting for a reply on it (and
// only once connected), so a sample is one round trip of the server, never the wait behind the
// requests ahead of it. Under a deep pipeline few real requests qualify; the probes, alone on a
// connection of their own, keep the estimate fresh. A failure (error, EOF, timeout) sets the
// estimate to at least FAILURE_LATENCY_US: it only ever makes an address look slower. The first
// round trip after failures starts the average afresh, so a replica that recovered is judged by
// how it answers now rather than by seconds of decaying penalty.

/** Weight of a new sample: after 6 samples a step change is 88% taken in, one noisy sample moves it 30%. */
export const LATENCY_SMOOTHING = 0.3;
/** What a failed request or probe counts as, at least (1 s: slower than any working replica). */
export const FAILURE_LATENCY_US = 1_000_000;

export class LatencyEstimator {
  /** Smoothed round trip in microseconds; 0 until the first sample. */
  micros = 0;
  /** Samples taken in (0: not measured yet). */
  samples = 0;
  /** Set by a failure: the next round trip replaces the estimate. */
  private failed = false;

  get measured(): boolean {
    return this.samples > 0;
  }

  record(micros: number): void {
    this.micros = this.samples === 0 || this.failed ? micros : this.micros + LATENCY_SMOOTHING * (micros - this.micros);
    this.failed = false;
    this.samples++;
  }

  /** A request or probe failed after `elapsedMicros`: it counts as slow, never as fast. */
  recordFailure(elapsedMicros = 0): void {
    this.micros = Math.max(elapsedMicros, FAILURE_LATENCY_US, this.micros);
    this.failed = true;
    this.samples++;
  }
}
