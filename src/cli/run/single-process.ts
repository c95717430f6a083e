import type { Logger } from 'pino';
import { AdminServer } from '../../dataplane/http/admin-server.js';
import type { RunOptions } from '../run-options.js';
import { announceTable } from './announce.js';
import { createGateway } from './create-gateway.js';
import { createSource } from './create-source.js';
import { singleProcessMetrics } from './metrics.js';
import { catchReloadSignal } from './reload-signal.js';
import { loadStickySecret, readSecretFile } from './secrets.js';
import { onShutdownSignal } from './shutdown.js';

/** `swarmgate run` in one process: table source, data plane and admin API side by side. */
export async function runSingleProcess(options: RunOptions, logger: Logger): Promise<void> {
  const reloadWith = catchReloadSignal(logger);
  const stickySecret = await loadStickySecret(options.stickySecretFile, logger);
  const token = options.adminTokenFile
    ? await readSecretFile(options.adminTokenFile, 'admin token')
    : undefined;
  const source = createSource(options, logger);
  const { gateway, registry } = createGateway(options, stickySecret, logger);
  const admin = new AdminServer({
    listen: options.admin,
    ...(token ? { token } : {}),
    source: gateway,
    discoveryStatus: () => source.status(),
    ...(options.metrics ? { metrics: singleProcessMetrics(gateway) } : {}),
    logger,
  });

  const first = await source.start();
  gateway.setTable(first);
  announceTable(logger, first, { cause: 'initial' });
  source.on('table', (table, meta) => {
    void gateway.swapTable(table).then(() => announceTable(logger, table, meta));
  });
  reloadWith(() => void source.reload?.());
  // The admin listener first: a taken admin port stops `run` before it has served any client.
  await admin.listen();
  await gateway.listen();
  logger.info(
    {
      http: gateway.addresses(),
      acceptBatch: gateway.acceptBatch,
      connectionLimits: gateway.connectionLimits,
      admin: options.admin,
      role: options.role,
    },
    'swarmgate is serving',
  );

  onShutdownSignal(logger, async () => {
    await gateway.close(options.shutdownGraceMs);
    await Promise.all([admin.close(), source.close(), registry.close()]);
  });
}
