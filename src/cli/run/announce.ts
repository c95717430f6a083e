import type { Logger } from 'pino';
import type { RoutingTable } from '../../routing/table.js';
import type { TableMeta } from '../sources/table-source.js';
import { renderTable } from '../table-view.js';

/** Routes shown on stderr per table: rendering and writing 10,000 of them stalls requests for 100s of ms. */
const ANNOUNCED_ROUTES = 100;

/**
 * Tells the operator which table is now served: a structured log line, and the human rendering of its
 * first routes on stderr so `npm start` shows them (`swarmgate routes` lists all).
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
  process.stderr.write(`${renderTable(table, ANNOUNCED_ROUTES)}\n`);
}
