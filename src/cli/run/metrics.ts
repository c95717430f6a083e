import { AggregatorRegistry, collectDefaultMetrics, Registry } from 'prom-client';
import type { AdminSource } from '../../dataplane/http/admin-server.js';
import { attachConnectionMetrics } from '../../observability/connection-metrics.js';
import { attachRequestMetrics } from '../../observability/request-metrics.js';
import { registerStateMetrics } from '../../observability/state-metrics.js';

/** Renders a registry for the admin listener's `/metrics`. */
export type MetricsRenderer = () => Promise<string>;

/**
 * Request counters and process metrics (CPU, memory, event-loop delay) of a process that proxies
 * requests: the single process, or each cluster worker.
 */
function proxyingRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  attachRequestMetrics(registry);
  attachConnectionMetrics(registry);
  return registry;
}

/** `swarmgate run` in one process: everything in one registry. */
export function singleProcessMetrics(source: AdminSource): MetricsRenderer {
  const registry = proxyingRegistry();
  registerStateMetrics(registry, source);
  return () => registry.metrics();
}

/**
 * A cluster worker: its counters answer the primary's scrape requests over the cluster IPC channel
 * (prom-client's protocol, alongside swarmgate's own messages).
 */
export function clusterWorkerMetrics(): void {
  AggregatorRegistry.setRegistries([proxyingRegistry()]);
  // Constructing one registers the worker's listener for the primary's requests.
  new AggregatorRegistry();
}

/**
 * The cluster primary: the workers' counters summed (prom-client asks every worker at scrape time)
 * plus the state gauges from the primary's merged view of the workers.
 */
export function clusterPrimaryMetrics(source: AdminSource): MetricsRenderer {
  const aggregator = new AggregatorRegistry();
  const state = new Registry();
  registerStateMetrics(state, source);
  return async () => (await aggregator.clusterMetrics()) + (await state.metrics());
}
