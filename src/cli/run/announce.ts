import type { Logger } from 'pino';
import type { RoutingTable } from '../../routing/table.js';
import type { TableMeta } from '../sources/table-source.js';
import { renderTable } from '../table-view.js';

/**
 * Tells the operator which table is now served: a structured log line, and the human rendering on
 * stderr so `npm start` shows the routes.
 */
export function announceTable(logger: Logger, table: RoutingTable, meta: TableMeta): void {
  const delayMs = meta.eventTime === undefined ? undefined : Math.round(Date.now() - meta.eventTime);
  logger.info(
    {
      version: table.version,
      routes: table.routes.length,
      diagnostics: table.diagnostics.length,
      cause: meta.cause,
      ...(delayMs === undefined ? {} : { delayMs }),
    },
    'serving routing table',
  );
  process.stderr.write(`${renderTable(table)}\n`);
}
