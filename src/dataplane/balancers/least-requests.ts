import type { Balancer } from './balancer.js';
import { type BalancerCandidate, eligible } from './candidate.js';

/**
 * Power of two random choices on in-flight requests: draw two distinct eligible candidates, keep the
 * one with fewer requests in flight (a tie keeps the first draw, which is itself random).
 * Two passes over the candidates and no allocation.
 */
export class LeastRequestsBalancer implements Balancer {
  readonly #random: () => number;

  constructor(random: () => number) {
    this.#random = random;
  }

  pick<T extends BalancerCandidate>(candidates: readonly T[], exclude?: ReadonlySet<string>): T | undefined {
    let count = 0;
    for (const c of candidates) if (eligible(c, exclude)) count++;
    if (count === 0) return undefined;
    const first = Math.floor(this.#random() * count);
    if (count === 1) return nth(candidates, exclude, first);
    // A second, different rank: shift a draw over the remaining count - 1 ranks past `first`.
    const second = (first + 1 + Math.floor(this.#random() * (count - 1))) % count;
    const a = nth(candidates, exclude, first);
    const b = nth(candidates, exclude, second);
    // Availability can flip between passes (a backoff expiring); then take whichever draw still exists.
    if (a === undefined || b === undefined) return a ?? b;
    return b.inflight < a.inflight ? b : a;
  }
}

/** The eligible candidate of the given rank. */
function nth<T extends BalancerCandidate>(
  candidates: readonly T[],
  exclude: ReadonlySet<string> | undefined,
  rank: number,
): T | undefined {
  let seen = 0;
  for (const c of candidates) {
    if (!eligible(c, exclude)) continue;
    if (seen === rank) return c;
    seen++;
  }
  return undefined;
}
