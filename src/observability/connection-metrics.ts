import { Counter, type Registry } from 'prom-client';
import { type ConnectionRefusedEvent, connectionRefusedChannel } from '../dataplane/http/diagnostics.js';

/**
 * Counts client connections refused over a connection limit, by `reason` (`total` or `per_address`),
 * into `registry`. The address is not a label: a flood from many addresses must not grow the series.
 * Returns a function that unsubscribes.
 *
 * @example
 * const detach = attachConnectionMetrics(registry);
 */
export function attachConnectionMetrics(registry: Registry): () => void {
  const refused = new Counter({
    name: 'swarmgate_client_connections_refused_total',
    help: 'Client connections refused (reset) over a connection limit: total (the whole process) or per_address',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  // Both series exist from the start, so a rate() over them needs no first refusal.
  for (const reason of ['total', 'per_address'] as const) refused.inc({ reason }, 0);
  const onRefused = (message: unknown) => refused.inc({ reason: (message as ConnectionRefusedEvent).reason });
  connectionRefusedChannel.subscribe(onRefused);
  return () => connectionRefusedChannel.unsubscribe(onRefused);
}
