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
 * Circuit breaker for one upstream: up → down (backoff) → half-open (one probe request) → up or down again.
 * Time is passed in by the caller, so nothing here owns a timer.
 */
export class PassiveHealth {
  readonly #opts: PassiveHealthOptions;
  #fails = 0;
  #windowStart = 0;
  /** Consecutive trips without a success in between; 0 while up. */
  #strikes = 0;
  #downUntil = 0;
  #probing = false;

  constructor(opts: PassiveHealthOptions) {
    this.#opts = opts;
  }

  /** Down, or half-open with its single probe already in flight. Reads the clock only when it tripped. */
  isDown(clock: () => number): boolean {
    return this.#strikes > 0 && (this.#probing || clock() < this.#downUntil);
  }

  /** A request starts; in half-open state the first one becomes the probe. */
  requestStarted(now: number): void {
    if (this.#strikes > 0 && now >= this.#downUntil) this.#probing = true;
  }

  /** A request ended without a verdict (e.g. the client went away): free the probe slot. */
  requestFinished(): void {
    this.#probing = false;
  }

  /** Returns true when this failure took the upstream down. */
  failure(immediate: boolean, now: number): boolean {
    if (this.#strikes > 0) {
      if (now < this.#downUntil) return false;
      this.#trip(now);
      return true;
    }
    if (now - this.#windowStart > this.#opts.failWindowMs) {
      this.#windowStart = now;
      this.#fails = 0;
    }
    this.#fails += 1;
    if (!immediate && this.#fails < this.#opts.maxFails) return false;
    this.#trip(now);
    return true;
  }

  /** Returns true when this success brought the upstream back up. Successes while down are ignored: they belong to requests started before the trip. */
  success(now: number): boolean {
    if (this.#strikes === 0 || now < this.#downUntil) return false;
    this.#strikes = 0;
    this.#fails = 0;
    this.#probing = false;
    return true;
  }

  #trip(now: number): void {
    const { baseBackoffMs, maxBackoffMs } = this.#opts;
    this.#strikes += 1;
    this.#probing = false;
    this.#fails = 0;
    this.#downUntil = now + Math.min(baseBackoffMs * 2 ** (this.#strikes - 1), maxBackoffMs);
  }
}
