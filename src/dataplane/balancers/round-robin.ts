import type { Balancer } from './balancer.js';
import { type BalancerCandidate, eligible } from './candidate.js';

/** Rotates over the eligible candidates: each pick starts after the previous pick's position. */
export class RoundRobinBalancer implements Balancer {
  #next = 0;

  pick<T extends BalancerCandidate>(candidates: readonly T[], exclude?: ReadonlySet<string>): T | undefined {
    const n = candidates.length;
    for (let step = 0; step < n; step++) {
      const index = (this.#next + step) % n;
      const candidate = candidates[index]!;
      if (eligible(candidate, exclude)) {
        this.#next = (index + 1) % n;
        return candidate;
      }
    }
    return undefined;
  }
}
