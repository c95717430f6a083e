import type { Backend, Diagnostic, Route, Upstream } from '../../routing/table.js';
import type { CompiledTable } from '../compiled-table.js';
import type { UpstreamHandle } from '../upstreams/upstream-handle.js';
import type { UpstreamRegistry } from '../upstreams/upstream-registry.js';

/** An upstream's live state next to its table data. */
export interface UpstreamRuntime {
  healthy: boolean;
  inflight: number;
  state: 'ready' | 'draining' | 'removed';
  /** Registry clock (ms since the epoch by default) when draining began; null unless draining. */
  drainingSince: number | null;
}

/** What `GET /api/routes` answers: the routing table in use with runtime state per upstream. */
export interface GatewayRoutesState {
  version: string;
  routes: Route[];
  backends: Array<
    Omit<Backend, 'upstreams'> & { upstreams: Array<Upstream & { runtime: UpstreamRuntime | null }> }
  >;
  diagnostics: Diagnostic[];
  /**
   * Upstreams gone from the table that still finish requests or tunnels (state `removed`): during a
   * rolling update, the work still running on tasks that left.
   */
  retiring: Array<Upstream & { runtime: UpstreamRuntime }>;
}

/** Joins a compiled table's data with the registry's live state (null for an upstream not registered). */
export function routesState(table: CompiledTable, registry: UpstreamRegistry): GatewayRoutesState {
  const data = table.table;
  return {
    version: data.version,
    routes: data.routes,
    backends: data.backends.map((backend) => ({
      ...backend,
      upstreams: backend.upstreams.map((upstream) => {
        const handle = registry.get(upstream.id);
        return { ...upstream, runtime: handle ? runtimeOf(handle) : null };
      }),
    })),
    diagnostics: data.diagnostics,
    retiring: [...registry.handles()]
      .filter((handle) => handle.state === 'removed')
      .map((handle) => ({ ...handle.upstream, runtime: runtimeOf(handle) })),
  };
}

function runtimeOf(handle: UpstreamHandle): UpstreamRuntime {
  return {
    healthy: handle.healthy,
    inflight: handle.inflight,
    state: handle.state,
    drainingSince: handle.drainingSince ?? null,
  };
}
