import type { ErrorCode } from '../../errors.js';
import type { CompiledRoute, Selection } from '../compiled-table.js';
import { type UpstreamRetryEvent, upstreamRetryChannel } from './diagnostics.js';

/**
 * The attempts of one exchange (a request or an upgrade) on its route: how many were made, which
 * upstreams failed, and whether the retry budget allows another one elsewhere.
 *
 * @example
 * attempts.started(); // before each dispatch
 * const next = attempts.next(route, cookie, secure, failedId, retryable, 'SG_ERR_UPSTREAM_CONNECT');
 */
export class Attempts {
  readonly #maxRetries: number;
  #count = 0;
  #failed: Set<string> | undefined;

  constructor(maxRetries: number) {
    this.#maxRetries = maxRetries;
  }

  /** Attempts started so far (1 = the first try). */
  get count(): number {
    return this.#count;
  }

  /** Attempts after the first. */
  get retries(): number {
    return Math.max(0, this.#count - 1);
  }

  started(): void {
    this.#count += 1;
  }

  /**
   * After `failedId` failed: another upstream of the route, avoiding every one that failed, when the
   * failure is `retryable` and the budget is not spent. `avoid` false keeps the failed upstream a
   * candidate (only a stale connection to it failed). Announces the retry on the diagnostics channel.
   */
  next(
    route: CompiledRoute,
    cookie: string | undefined,
    secure: boolean,
    failedId: string,
    retryable: boolean,
    errorCode: ErrorCode,
    avoid = true,
  ): Selection | undefined {
    if (!retryable || this.#count > this.#maxRetries) return undefined;
    this.#failed ??= new Set();
    if (avoid) this.#failed.add(failedId);
    const next = route.select(cookie, secure, this.#failed);
    if (next !== undefined && upstreamRetryChannel.hasSubscribers) {
      const event: UpstreamRetryEvent = {
        routeId: route.route.id,
        upstreamId: failedId,
        errorCode,
        attempt: this.#count + 1,
      };
      upstreamRetryChannel.publish(event);
    }
    return next;
  }
}
