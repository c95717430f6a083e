import { Gauge, type Registry } from 'prom-client';
import type { AdminSource } from '../dataplane/http/admin-server.js';
import type { UpstreamRuntime } from '../dataplane/http/routes-state.js';

/**
 * Gauges read from the gateway's runtime state at scrape time (nothing on the request path): requests
 * in flight, open client connections, routes served, and per backend its upstreams by state and each upstream's requests in
 * flight. Upstream series exist only while the upstream is in the table, since every scrape rebuilds
 * them.
 *
 * @example
 * registerStateMetrics(registry, gateway);
 */
export function registerStateMetrics(registry: Registry, source: AdminSource): void {
  const registers = [registry];
  const scrapeState = onePerTurn(() => source.routesState());
  new Gauge({
    name: 'swarmgate_inflight_requests',
    help: 'Client requests and upgraded connections in flight',
    registers,
    collect() {
      this.set(source.inflight);
    },
  });
  new Gauge({
    name: 'swarmgate_client_connections',
    help: 'Open client connections on the HTTP entrypoints (upgraded ones included)',
    registers,
    collect() {
      this.set(source.connections);
    },
  });
  new Gauge({
    name: 'swarmgate_table_routes',
    help: 'Routes in the routing table in use (0 before the first table)',
    registers,
    collect() {
      this.set(scrapeState()?.routes.length ?? 0);
    },
  });
  const upstreams = new Gauge({
    name: 'swarmgate_upstreams',
    help: 'Upstreams of each backend by state: ready (takes new sessions), down (failing health), draining, removed, unregistered',
    labelNames: ['backend', 'state'] as const,
    registers,
    collect() {
      upstreams.reset();
      for (const backend of scrapeState()?.backends ?? []) {
        const counts = new Map<string, number>();
        for (const upstream of backend.upstreams) {
          const state = upstreamState(upstream.runtime);
          counts.set(state, (counts.get(state) ?? 0) + 1);
        }
        for (const [state, count] of counts) upstreams.set({ backend: backend.id, state }, count);
      }
    },
  });
  const upstreamInflight = new Gauge({
    name: 'swarmgate_upstream_inflight_requests',
    help: 'Requests in flight per upstream (the balancers pick by this)',
    labelNames: ['backend', 'upstream'] as const,
    registers,
    collect() {
      upstreamInflight.reset();
      for (const backend of scrapeState()?.backends ?? []) {
        for (const upstream of backend.upstreams) {
          const labels = { backend: backend.id, upstream: upstream.id };
          upstreamInflight.set(labels, upstream.runtime?.inflight ?? 0);
        }
      }
    },
  });
}

/**
 * `read`, called at most once per event-loop turn: a scrape collects every gauge in one turn, and the
 * routes state is built anew on each call (a walk over every route and upstream).
 */
function onePerTurn<T>(read: () => T): () => T {
  let cached: { value: T } | undefined;
  return () => {
    if (cached === undefined) {
      cached = { value: read() };
      setImmediate(() => {
        cached = undefined;
      });
    }
    return cached.value;
  };
}

function upstreamState(runtime: UpstreamRuntime | null): string {
  if (runtime === null) return 'unregistered';
  if (runtime.state !== 'ready') return runtime.state;
  return runtime.healthy ? 'ready' : 'down';
}
