import type { Logger } from 'pino';
import { resolveDockerEndpoint } from '../../discovery/docker-endpoint.js';
import { EngineClient } from '../../discovery/engine-client.js';
import type { RunOptions } from '../run-options.js';
import { DiscoverySource } from '../sources/discovery-source.js';
import { FileSource } from '../sources/file-source.js';
import type { TableSource } from '../sources/table-source.js';

/** The table provider chosen by the flags: a table file, or the swarm behind the Docker endpoint. */
export function createSource(options: RunOptions, logger: Logger): TableSource {
  if (options.table !== undefined) return new FileSource(options.table, logger);
  const client = new EngineClient(
    resolveDockerEndpoint(options.docker === undefined ? {} : { url: options.docker }),
  );
  return new DiscoverySource(client, {
    role: options.role,
    relistIntervalMs: options.relistIntervalMs,
    ...(options.networks ? { networks: options.networks } : {}),
  });
}
