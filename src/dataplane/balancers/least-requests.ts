import type { Balancer } from './balancer.js';
import { type BalancerCandidate, eligible } from './candidate.js';

/**
 * Power of two random choices on in-flight requests: draw two distinct eligible candidates, keep the
 * one with fewer requests in flight (a tie keeps the first draw, which is itself random). No allocation.
 */
export class LeastRequestsBalancer implements Balancer {
  readonly #random: () => number;

  constructor(random: () => number) {
    this.#random = random;
  }

  pick<T extends BalancerCandidate>(candidates: readonly T[], exclude?: ReadonlySet<string>): T | undefined {
    const n = candidates.length;
    if (n >= 2) {
      // Usual case, everything up: two draws over the whole list. Accepted only when both are eligible,
      // which keeps the outcome uniform over eligible pairs; otherwise draw among the eligible ones.
      const i = this.#rank(n);
      const a = candidates[i]!;
      const b = candidates[this.#otherRank(i, n)]!;
      if (eligible(a, exclude) && eligible(b, exclude)) return b.inflight < a.inflight ? b : a;
    }
    return this.#pickAmongEligible(candidates, exclude);
  }

  #pickAmongEligible<T extends BalancerCandidate>(
    candidates: readonly T[],
    exclude: ReadonlySet<string> | undefined,
  ): T | undefined {
    let count = 0;
    for (const c of candidates) if (eligible(c, exclude)) count++;
    if (count === 0) return undefined;
    if (count === 1) return nth(candidates, exclude, 0);
    const first = this.#rank(count);
    const a = nth(candidates, exclude, first);
    const b = nth(candidates, exclude, this.#otherRank(first, count));
    // Availability can flip between passes (a backoff expiring); then take whichever draw still exists.
    if (a === undefined || b === undefined) return a ?? b;
    return b.inflight < a.inflight ? b : a;
  }

  /** A uniform rank below `count`. */
  #rank(count: number): number {
    return Math.floor(this.#random() * count);
  }

  /** A uniform rank below `count` (≥ 2) other than `first`. */
  #otherRank(first: number, count: number): number {
    return (first + 1 + this.#rank(count - 1)) % count;
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
