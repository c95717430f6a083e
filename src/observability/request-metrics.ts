import { Counter, Histogram, type Registry } from 'prom-client';
import {
  type RequestEndEvent,
  requestEndChannel,
  tableSwapChannel,
  type UpstreamRetryEvent,
  upstreamRetryChannel,
} from '../dataplane/http/diagnostics.js';

/** Request duration buckets in seconds: a proxied request is milliseconds; timeouts are seconds. */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Counts what the data plane reports on its diagnostics channels into Prometheus metrics in `registry`:
 * requests by route and status, their duration, errors by `SG_ERR_*` code, retries and table swaps.
 * Labels are bounded (route ids, status codes, error codes), never upstream or client addresses, so
 * rolling updates do not grow the series. Returns a function that unsubscribes.
 *
 * @example
 * const detach = attachRequestMetrics(registry);
 */
export function attachRequestMetrics(registry: Registry): () => void {
  const registers = [registry];
  const requests = new Counter({
    name: 'swarmgate_requests_total',
    help: 'Client requests by route and the status sent (0 = the client went away first; 101 = upgraded)',
    labelNames: ['route', 'code'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'swarmgate_request_duration_seconds',
    help: 'Time from a parsed request head to the end of its response (upgrades excluded)',
    labelNames: ['route'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const errors = new Counter({
    name: 'swarmgate_request_errors_total',
    help: 'Requests that ended in an error, by route and SG_ERR_* code',
    labelNames: ['route', 'error'] as const,
    registers,
  });
  const retries = new Counter({
    name: 'swarmgate_upstream_retries_total',
    help: 'Requests sent again to another upstream after a retryable failure, by route',
    labelNames: ['route'] as const,
    registers,
  });
  const swaps = new Counter({
    name: 'swarmgate_table_swaps_total',
    help: 'Routing tables swapped in (the first one included)',
    // Every worker swaps in the same tables: a cluster's count is one worker's, not their sum.
    aggregator: 'max',
    registers,
  });

  const onRequest = (message: unknown) => {
    const m = message as RequestEndEvent;
    const route = m.routeId ?? '';
    requests.inc({ route, code: String(m.status) });
    // A refusal before the head was parsed has no duration; a flood of garbage must not fill the lowest bucket.
    if (!m.upgrade && m.durationMs !== undefined) duration.observe({ route }, m.durationMs / 1000);
    if (m.errorCode !== undefined) errors.inc({ route, error: m.errorCode });
  };
  const onRetry = (message: unknown) => {
    retries.inc({ route: (message as UpstreamRetryEvent).routeId });
  };
  const onSwap = () => swaps.inc();
  requestEndChannel.subscribe(onRequest);
  upstreamRetryChannel.subscribe(onRetry);
  tableSwapChannel.subscribe(onSwap);
  return () => {
    requestEndChannel.unsubscribe(onRequest);
    upstreamRetryChannel.unsubscribe(onRetry);
    tableSwapChannel.unsubscribe(onSwap);
  };
}
