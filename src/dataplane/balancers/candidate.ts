/** What a balancer needs to know about an upstream (an `UpstreamHandle` fits). */
export interface BalancerCandidate {
  readonly id: string;
  readonly inflight: number;
  available(): boolean;
}

/** Whether a balancer may choose this candidate: available and not excluded for this request. */
export function eligible(candidate: BalancerCandidate, exclude: ReadonlySet<string> | undefined): boolean {
  return candidate.available() && !exclude?.has(candidate.id);
}
