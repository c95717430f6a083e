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
  /** Attempts that resent a request after only a stale pooled connection failed: outside the budget. */
  #resends = 0;
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
   * failure is `retryable` and the budget is not spent. After a `connectionOnly` failure (a stale
   * pooled connection) the upstream stays a candidate and the resend does not count against the budget:
   * it goes out on a new connection, which cannot be stale, so this happens at most once per attempt
   * that took a pooled one. Announces the retry on the diagnostics channel.
   */
  next(
    route: CompiledRoute,
    cookie: string | undefined,
    secure: boolean,
    failedId: string,
    retryable: boolean,
    errorCode: ErrorCode,
    connectionOnly = false,
  ): Selection | undefined {
    if (!retryable) return undefined;
    if (connectionOnly) this.#resends += 1;
    else if (this.#count - this.#resends > this.#maxRetries) return undefined;
    this.#failed ??= new Set();
    if (!connectionOnly) this.#failed.add(failedId);
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
