import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** A response whose head may still be unsent when the turn ends. */
export interface PendingHead {
  /** Sends the head now unless a body write or the end has already taken it along. */
  flushHead(): void;
}

/**
 * Holds the data plane's writes until the end of the current event-loop turn (`setImmediate`: after
 * every I/O callback of this poll phase), then flushes them back to back. Each write that reaches a
 * sleeping peer wakes it, and on a VM a cross-CPU wakeup is expensive (about a tenth of the proxy's CPU
 * in `perf`, all in `sock_def_readable`); bunched, a turn's writes wake each peer about once. The wait
 * is bounded by the turn itself: under light load a turn is one callback long.
 */
class EndOfTurnWrites {
  readonly #corked: Socket[] = [];
  readonly #ends: ServerResponse[] = [];
  readonly #lastPieces: (Buffer | undefined)[] = [];
  readonly #heads: PendingHead[] = [];
  #scheduled = false;

  /** Corks `socket` now and uncorks it at the end of the turn. */
  cork(socket: Socket): void {
    socket.cork();
    this.#corked.push(socket);
    this.#schedule();
  }

  /** Ends `res` (with its last body piece, if any) at the end of the turn. */
  end(res: ServerResponse, last: Buffer | undefined): void {
    this.#ends.push(res);
    this.#lastPieces.push(last);
    this.#schedule();
  }

  /**
   * Lets `pending` send its head at the end of the turn, after the turn's ends. Node sends a head with
   * the first body write; a streaming response (server-sent events, long polling) whose body has not
   * started by then would otherwise reach the client only with its first byte.
   */
  head(pending: PendingHead): void {
    this.#heads.push(pending);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#flush);
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const corked = this.#corked;
    for (let i = 0; i < corked.length; i++) corked[i]!.uncork();
    corked.length = 0;
    const ends = this.#ends;
    const pieces = this.#lastPieces;
    for (let i = 0; i < ends.length; i++) {
      const res = ends[i]!;
      // The client may have gone since; its response is then already destroyed.
      if (res.destroyed) continue;
      const last = pieces[i];
      if (last === undefined) res.end();
      else res.end(last);
    }
    ends.length = 0;
    pieces.length = 0;
    const heads = this.#heads;
    for (let i = 0; i < heads.length; i++) heads[i]!.flushHead();
    heads.length = 0;
  };
}

/** The process's one batch: every listener and pool shares the turn. */
export const endOfTurnWrites = new EndOfTurnWrites();
