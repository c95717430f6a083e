/** Thresholds for passive health (failures observed on real traffic). */
export interface PassiveHealthOptions {
  /** Resets/timeouts within `failWindowMs` that mark the upstream down. */
  maxFails: number;
  failWindowMs: number;
  /** First down period; doubles on each failed probe, capped at `maxBackoffMs`. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

/**
 * Circuit breaker for one upstream: client failures take it down; while down, only a background probe
 * (run by the owner once `backoffMs` has passed) decides: success brings it up, failure doubles the backoff.
 * Client requests are never the probe. Time is passed in by the caller, so nothing here owns a timer.
 */
export class PassiveHealth {
  readonly #opts: PassiveHealthOptions;
  #fails = 0;
  #windowStart = 0;
  /** The trip plus each failed probe since; 0 while up. */
  #strikes = 0;

  constructor(opts: PassiveHealthOptions) {
    this.#opts = opts;
  }

  get down(): boolean {
    return this.#strikes > 0;
  }

  /** How long to wait before the next probe; 0 while up. */
  get backoffMs(): number {
    if (this.#strikes === 0) return 0;
    const { baseBackoffMs, maxBackoffMs } = this.#opts;
    return Math.min(baseBackoffMs * 2 ** (this.#strikes - 1), maxBackoffMs);
  }

  /**
   * A client request failed; returns true when this took the upstream down. Ignored while down: such
   * requests started before the trip, and the probe owns the backoff.
   */
  failure(immediate: boolean, now: number): boolean {
    if (this.#strikes > 0) return false;
    if (now - this.#windowStart > this.#opts.failWindowMs) {
      this.#windowStart = now;
      this.#fails = 0;
    }
    this.#fails += 1;
    if (!immediate && this.#fails < this.#opts.maxFails) return false;
    this.#strikes = 1;
    this.#fails = 0;
    return true;
  }

  /** The probe failed: stay down with a doubled backoff. */
  probeFailed(): void {
    this.#strikes += 1;
  }

  /** The probe connected: up again, and the next trip starts from the base backoff. */
  probeSucceeded(): void {
    this.#strikes = 0;
    this.#fails = 0;
  }
}
