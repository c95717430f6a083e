import type { IncomingMessage } from 'node:http';
import type { HttpLimits } from './http-limits.js';

/** How fast request bodies must come. */
export type BodyPace = Pick<HttpLimits, 'bodyTimeoutMs' | 'minBodyRate' | 'minBodyRateGraceMs'>;

/** Why a request body was cut: no byte for the body timeout, or an average below the minimum rate. */
export type SlowBodyReason = 'stalled' | 'below-min-rate';

/** A request body being received, as the guard watches it. */
export interface WatchedBody {
  readonly req: IncomingMessage;
  /** The body is too slow; called once, and the guard no longer watches it. */
  tooSlow(reason: SlowBodyReason): void;
}

/** Progress of one watched body, in the client connection's bytes read. */
class Progress {
  readonly from: number;
  /** When watching began: a body watched since the last tick counts only its own time. */
  readonly since: number;
  seen: number;
  readingMs = 0;
  idleMs = 0;

  constructor(bytesRead: number, since: number) {
    this.from = bytesRead;
    this.since = since;
    this.seen = bytesRead;
  }
}

/**
 * Cuts request bodies that stall (no byte for `bodyTimeoutMs`) or trickle (on average slower than
 * `minBodyRate` once `minBodyRateGraceMs` is over), as nginx's `client_body_timeout` and Kestrel's
 * minimum request body data rate do. One heartbeat for all the bodies being received, running only
 * while there are any, reads each connection's `bytesRead`: no timer and no work per body chunk.
 * Only time when the gateway reads counts: while it holds a body back (waiting for an upstream
 * connection, or for the upstream to take what it has), the client is not to blame.
 *
 * @example
 * const guard = new BodyPaceGuard({ bodyTimeoutMs: 60_000, minBodyRate: 240, minBodyRateGraceMs: 10_000 });
 * guard.watch(body); // until the body is complete, `unwatch`, or `body.tooSlow(reason)`
 */
export class BodyPaceGuard {
  readonly #pace: BodyPace;
  readonly #tickMs: number;
  readonly #watched = new Map<WatchedBody, Progress>();
  #timer: NodeJS.Timeout | undefined;
  #lastTick = 0;

  constructor(pace: BodyPace) {
    this.#pace = pace;
    const finest =
      pace.minBodyRate > 0 ? Math.min(pace.bodyTimeoutMs, pace.minBodyRateGraceMs) : pace.bodyTimeoutMs;
    // A quarter of the shortest limit, so a body is cut soon after it; at least every second.
    this.#tickMs = Math.min(1_000, Math.max(50, Math.floor(finest / 4)));
  }

  /** Watches `body` until it is complete, `unwatch`ed, or too slow. */
  watch(body: WatchedBody): void {
    const now = performance.now();
    this.#watched.set(body, new Progress(body.req.socket.bytesRead, now));
    if (this.#timer === undefined) {
      this.#lastTick = now;
      this.#timer = setInterval(this.#tick, this.#tickMs).unref();
    }
  }

  unwatch(body: WatchedBody): void {
    this.#watched.delete(body);
  }

  readonly #tick = (): void => {
    const now = performance.now();
    // A late tick (a blocked event loop) counts as two at most: bytes that waited unread in the
    // kernel meanwhile are not the client's fault.
    const elapsed = Math.min(now - this.#lastTick, 2 * this.#tickMs);
    this.#lastTick = now;
    const { bodyTimeoutMs, minBodyRate, minBodyRateGraceMs } = this.#pace;
    for (const [body, progress] of this.#watched) {
      const step = Math.min(elapsed, now - progress.since);
      const req = body.req;
      if (req.complete) {
        this.#watched.delete(body);
        continue;
      }
      const read = req.socket.bytesRead;
      if (read > progress.seen) {
        progress.seen = read;
        progress.idleMs = 0;
      } else if (req.readableFlowing === true) {
        progress.idleMs += step;
      }
      // Paused (not flowing): the gateway holds the body back, so this time is not the client's.
      if (req.readableFlowing !== true) continue;
      progress.readingMs += step;
      let reason: SlowBodyReason | undefined;
      if (progress.idleMs >= bodyTimeoutMs) reason = 'stalled';
      else if (
        minBodyRate > 0 &&
        progress.readingMs > minBodyRateGraceMs &&
        (progress.seen - progress.from) * 1_000 < minBodyRate * progress.readingMs
      ) {
        reason = 'below-min-rate';
      }
      if (reason === undefined) continue;
      this.#watched.delete(body);
      body.tooSlow(reason);
    }
    if (this.#watched.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  };
}
