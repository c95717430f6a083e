import type { AdminSource } from '../../dataplane/http/admin-server.js';
import type { GatewayRoutesState, UpstreamRuntime } from '../../dataplane/http/routes-state.js';
import type { ToPrimary } from './cluster-messages.js';

type StateReport = Extract<ToPrimary, { type: 'state' }>;

/**
 * The admin API's view of a cluster: each worker's last report, merged. In-flight counts add up; an
 * upstream is healthy only if every worker that knows it finds it healthy.
 */
export class ClusterState implements AdminSource {
  readonly #reports = new Map<number, StateReport>();
  closing = false;

  report(workerId: number, message: StateReport): void {
    this.#reports.set(workerId, message);
  }

  forget(workerId: number): void {
    this.#reports.delete(workerId);
  }

  /** Workers report only once their entrypoints are bound. */
  get listening(): boolean {
    return this.#reports.size > 0;
  }

  get inflight(): number {
    let total = 0;
    for (const r of this.#reports.values()) total += r.inflight;
    return total;
  }

  get connections(): number {
    let total = 0;
    for (const r of this.#reports.values()) total += r.connections;
    return total;
  }

  routesState(): GatewayRoutesState | undefined {
    const states = [...this.#reports.values()].flatMap((r) => (r.routes ? [r.routes] : []));
    const [first, ...others] = states;
    if (!first) return undefined;
    const runtimes = new Map<string, UpstreamRuntime[]>();
    for (const state of others.filter((s) => s.version === first.version)) {
      for (const b of state.backends) {
        for (const u of b.upstreams)
          if (u.runtime) runtimes.set(u.id, [...(runtimes.get(u.id) ?? []), u.runtime]);
      }
    }
    return {
      ...first,
      backends: first.backends.map((b) => ({
        ...b,
        upstreams: b.upstreams.map((u) => ({ ...u, runtime: merge(u.runtime, runtimes.get(u.id) ?? []) })),
      })),
      retiring: mergeRetiring(states),
    };
  }
}

/** Every worker's retiring upstreams, one entry per id, whatever table version the worker is on. */
function mergeRetiring(states: GatewayRoutesState[]): GatewayRoutesState['retiring'] {
  const byId = new Map<string, GatewayRoutesState['retiring'][number]>();
  for (const state of states) {
    for (const upstream of state.retiring) {
      const seen = byId.get(upstream.id);
      if (seen === undefined) byId.set(upstream.id, { ...upstream, runtime: { ...upstream.runtime } });
      else seen.runtime = merge(seen.runtime, [upstream.runtime])!;
    }
  }
  return [...byId.values()];
}

function merge(own: UpstreamRuntime | null, others: UpstreamRuntime[]): UpstreamRuntime | null {
  const merged = own ? { ...own } : others.shift();
  if (!merged) return null;
  for (const r of others) {
    merged.inflight += r.inflight;
    merged.healthy &&= r.healthy;
  }
  return merged;
}
