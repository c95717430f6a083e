import type { BalancerCandidate } from '../../../../src/dataplane/balancers/balancer.js';

/** A candidate whose availability and load the test sets directly (the balancer sees only this interface). */
export class Candidate implements BalancerCandidate {
  readonly id: string;
  inflight: number;
  up: boolean;

  constructor(id: string, inflight = 0, up = true) {
    this.id = id;
    this.inflight = inflight;
    this.up = up;
  }

  available(): boolean {
    return this.up;
  }
}

/** Deterministic uniform [0, 1) source (mulberry32), so policy tests do not depend on luck. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
