import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { Gateway } from '../../dataplane/gateway.js';
import { AdminServer } from '../../dataplane/http/admin-server.js';
import { SwarmgateError } from '../../errors.js';
import type { RoutingTable } from '../../routing/table.js';
import { ExitCode } from '../exit-codes.js';
import { exitWithError } from '../exit-with-error.js';
import type { RunOptions } from '../run-options.js';
import { announceTable } from './announce.js';
import type { ToPrimary, ToWorker } from './cluster-messages.js';
import { ClusterState } from './cluster-state.js';
import { processConnectionLimits } from './create-gateway.js';
import { createSource } from './create-source.js';
import { clusterPrimaryMetrics } from './metrics.js';
import { catchReloadSignal } from './reload-signal.js';
import { loadStickySecret, readSecretFile } from './secrets.js';
import { onShutdownSignal } from './shutdown.js';
import { runWorker } from './worker.js';

/** Workers in a row that die before serving, after which the primary exits. */
const MAX_STARTUP_FAILURES = 5;

/**
 * `--workers N`: the primary owns the table source and the admin API; workers share the listeners
 * (SCHED_NONE: the kernel spreads connections, no hand-off through the primary) and receive each
 * table over IPC.
 */
export async function runCluster(options: RunOptions, logger: Logger): Promise<void> {
  if (cluster.isWorker) return runWorker(options, logger);
  const reloadWith = catchReloadSignal(logger);
  cluster.schedulingPolicy = cluster.SCHED_NONE;

  const stickySecret = (await loadStickySecret(options.stickySecretFile, logger)).toString('base64');
  const token = options.adminTokenFile
    ? await readSecretFile(options.adminTokenFile, 'admin token')
    : undefined;
  const source = createSource(options, logger);
  const state = new ClusterState();
  const admin = new AdminServer({
    listen: options.admin,
    ...(token ? { token } : {}),
    source: state,
    discoveryStatus: () => source.status(),
    ...(options.metrics ? { metrics: clusterPrimaryMetrics(state) } : {}),
    logger,
  });

  let table: RoutingTable = await source.start();
  announceTable(logger, table, { cause: 'initial' });
  const send = (worker: Worker, message: ToWorker) => worker.isConnected() && worker.send(message);
  // A worker that keeps dying at start (bad config, port taken) must not become a fork storm.
  let crashes = 0;
  const steady = setInterval(() => {
    crashes = 0;
  }, 60_000).unref();
  // Nor a restart loop without end while /readyz stays 503: workers dying one after another before
  // they serve fail the whole gateway.
  let startupFailures = 0;
  let announced = false;
  const fork = () => {
    // A restart timer that fires during shutdown must not start a worker that takes new connections.
    if (state.closing) return;
    const worker = cluster.fork();
    let serving = false;
    worker.once('exit', (code, signal) => {
      state.forget(worker.id);
      if (state.closing) return;
      const log = { worker: worker.process.pid, code, signal };
      if (!serving && ++startupFailures >= MAX_STARTUP_FAILURES) {
        logger.fatal({ ...log, startupFailures }, 'workers keep dying before they serve; giving up');
        process.exit(ExitCode.failure);
      }
      const delayMs = Math.min(30_000, 250 * 2 ** crashes++);
      logger.error({ ...log, delayMs }, 'worker died; starting a new one');
      setTimeout(fork, delayMs).unref();
    });
    worker.on('message', (message: ToPrimary) => {
      // prom-client's scrape answers share this channel: only swarmgate's own types are acted on.
      if (message.type === 'state') {
        // Workers report once they listen: the gateway serves from the first report on, not from the
        // fork (a worker may yet fail to bind).
        if (!announced) {
          announced = true;
          const { workers, http, acceptBatch } = options;
          // Each worker's own caps: the connection limits count per process.
          const connectionLimits = processConnectionLimits(options);
          logger.info(
            { workers, http, acceptBatch, connectionLimits, admin: options.admin },
            'swarmgate is serving',
          );
        }
        serving = true;
        startupFailures = 0;
        state.report(worker.id, message);
      } else if (message.type === 'failed') {
        state.closing = true;
        exitWithError(new SwarmgateError(message.code, message.message));
      } else if (message.type === 'ready') {
        send(worker, { type: 'init', stickySecret });
        send(worker, { type: 'table', table });
      }
    });
  };
  source.on('table', (next, meta) => {
    table = next;
    announceTable(logger, next, meta);
    for (const worker of Object.values(cluster.workers ?? {}))
      if (worker) send(worker, { type: 'table', table });
  });
  reloadWith(() => void source.reload?.());
  // The admin listener first: a taken admin port stops `run` before any worker serves a client.
  await admin.listen();
  await Gateway.checkEntrypointsFree(options);
  for (let i = 0; i < options.workers; i++) fork();

  onShutdownSignal(logger, async () => {
    state.closing = true;
    clearInterval(steady);
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            send(worker, { type: 'shutdown' });
          }),
      ),
    );
    await Promise.all([admin.close(), source.close()]);
  });
}
