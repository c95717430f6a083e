import { parseArgs } from 'node:util';
import { resolveDockerEndpoint } from '../discovery/docker-endpoint.js';
import { EngineClient } from '../discovery/engine-client.js';
import type { RoutingTable } from '../routing/table.js';
import { choiceFlag, durationFlag, listFlag } from './option-values.js';
import { DiscoverySource } from './sources/discovery-source.js';
import { diffTables } from './table-diff.js';
import { renderTable, routesJson } from './table-view.js';
import { UsageError } from './usage-error.js';

export const ROUTES_USAGE = `Usage: swarmgate routes [--docker URL] [--json] [--watch]

Prints the routing table for the swarm behind the Docker endpoint, with diagnostics.

  --docker URL              unix:///path or tcp://host:port (default: DOCKER_HOST, then /var/run/docker.sock)
  --json                    one JSON object {version, routes, diagnostics}
  --watch                   keep watching; print each new table as a diff with the delay since the change
  --role run|border|ingress the tier to compute cookie names and upstream modes for (default run)
  --network NAME            networks the gateway would reach task IPs on, repeatable (default none)
  --relist-interval DUR     periodic task re-list while watching (default 2s)
  -h, --help                this text
`;

/** `swarmgate routes`: discovery + translation, printed once or watched. */
export async function routesCommand(argv: string[], out: NodeJS.WritableStream): Promise<void> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    throw new UsageError('routes', (err as Error).message);
  }
  if (values.help) {
    out.write(ROUTES_USAGE);
    return;
  }
  const client = new EngineClient(
    resolveDockerEndpoint(values.docker === undefined ? {} : { url: values.docker }),
  );
  const source = new DiscoverySource(client, {
    role: choiceFlag('role', values.role ?? 'run', ['run', 'border', 'ingress'] as const),
    networks: listFlag(values.network),
    relistIntervalMs: durationFlag('relist-interval', values['relist-interval'] ?? '2s'),
  });
  const print = (table: RoutingTable) =>
    out.write(values.json ? `${JSON.stringify(routesJson(table))}\n` : `${renderTable(table)}\n`);
  try {
    let current = await source.start();
    print(current);
    if (!values.watch) return;
    source.on('table', (table, meta) => {
      const delay =
        meta.eventTime === undefined ? 'unknown' : `${Math.round(Date.now() - meta.eventTime)} ms`;
      if (values.json) print(table);
      else {
        const lines = diffTables(routesJson(current), routesJson(table));
        out.write(
          `table ${current.version} -> ${table.version} (${meta.cause}, ${delay} after the change)\n`,
        );
        out.write(lines.length > 0 ? `${lines.join('\n')}\n` : '  (no visible change)\n');
      }
      current = table;
    });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  } finally {
    await source.close();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      docker: { type: 'string' },
      json: { type: 'boolean' },
      watch: { type: 'boolean' },
      role: { type: 'string' },
      network: { type: 'string', multiple: true },
      'relist-interval': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
