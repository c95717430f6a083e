import type { BalancePolicy } from '../../routing/table.js';
import type { BalancerCandidate } from './candidate.js';
import { LeastRequestsBalancer } from './least-requests.js';
import { RoundRobinBalancer } from './round-robin.js';

/**
 * A selection policy: picks one upstream for a new session among the candidates that are `available()`
 * and not in `exclude` (upstream ids that already failed for this request). `undefined` when none qualifies.
 *
 * @example
 * const balancer = createBalancer('least-requests');
 * const upstream = balancer.pick(route.upstreams, failedIds);
 */
export interface Balancer {
  pick<T extends BalancerCandidate>(candidates: readonly T[], exclude?: ReadonlySet<string>): T | undefined;
}

export interface BalancerOptions {
  /** Uniform random in [0, 1); default `Math.random`. Injectable for tests. */
  random?: () => number;
}

/** Makes a fresh balancer (with its own state, e.g. the round-robin position) for a policy. */
export function createBalancer(policy: BalancePolicy, options: BalancerOptions = {}): Balancer {
  const random = options.random ?? Math.random;
  switch (policy) {
    case 'least-requests':
      return new LeastRequestsBalancer(random);
    case 'round-robin':
      return new RoundRobinBalancer();
  }
}

export type { BalancerCandidate } from './candidate.js';
