import type { Logger } from 'pino';
import { SwarmgateError } from '../../errors.js';
import type { RunOptions } from '../run-options.js';
import type { ToPrimary, ToWorker } from './cluster-messages.js';
import { createGateway } from './create-gateway.js';
import { clusterWorkerMetrics } from './metrics.js';

const REPORT_INTERVAL_MS = 1000;

/** A cluster worker: a gateway fed by the primary over IPC. It listens once the first table arrives. */
export async function runWorker(options: RunOptions, logger: Logger): Promise<void> {
  let started: ReturnType<typeof createGateway> | undefined;
  let reporter: NodeJS.Timeout | undefined;
  const report = () => {
    if (!started) return;
    const message: ToPrimary = {
      type: 'state',
      inflight: started.gateway.inflight,
      connections: started.gateway.connections,
      routes: started.gateway.routesState(),
    };
    process.send?.(message);
  };
  if (options.metrics) clusterWorkerMetrics();
  // Shutdown and reloads are the primary's: a signal to the process group (a terminal's, or
  // `docker kill -s HUP`) must not stop workers before the primary says so.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
  process.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'init':
        started ??= createGateway(options, Buffer.from(message.stickySecret, 'base64'), logger);
        return;
      case 'table':
        if (!started) return;
        if (started.gateway.table === undefined) {
          started.gateway.setTable(message.table);
          started.gateway.listen().then(
            () => {
              // At once, not at the next interval: the primary's /readyz waits for a report.
              report();
              reporter = setInterval(report, REPORT_INTERVAL_MS).unref();
            },
            (err: unknown) => {
              logger.fatal({ err }, 'worker cannot listen');
              // The primary ends the gateway with this error: every worker would meet it again.
              const failed: ToPrimary = {
                type: 'failed',
                code: err instanceof SwarmgateError ? err.code : 'SG_ERR_INTERNAL',
                message: (err as Error).message,
              };
              process.send?.(failed, () => process.exit(1));
            },
          );
        } else void started.gateway.swapTable(message.table);
        return;
      case 'shutdown':
        clearInterval(reporter);
        void (started?.gateway.close(options.shutdownGraceMs) ?? Promise.resolve())
          .then(() => started?.registry.close())
          .finally(() => process.exit(0));
        return;
    }
  });
  // A primary that died without a word (SIGKILL) must not leave orphaned workers serving stale tables.
  process.on('disconnect', () => process.exit(0));
  // A primary that exited meanwhile (another worker could not bind) would make the send fail with
  // EPIPE: ignored, as the disconnect ends this worker.
  process.send?.({ type: 'ready' } satisfies ToPrimary, () => undefined);
}
