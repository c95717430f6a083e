import type { EventEmitter } from 'node:events';
import type { RoutingTable } from '../../routing/table.js';

/** Why a table was produced, and when the change behind it happened (for delay reporting). */
export interface TableMeta {
  cause: string;
  /** ms since the epoch of the change that caused this table, when known. */
  eventTime?: number;
}

export interface TableSourceEvents {
  table: [table: RoutingTable, meta: TableMeta];
}

/**
 * A provider of routing tables (Traefik's provider idea): it only emits data and never touches the
 * data plane. `start` resolves with the first table; later tables arrive as `table` events, only when
 * the version changed.
 */
export interface TableSource extends EventEmitter<TableSourceEvents> {
  start(): Promise<RoutingTable>;
  /** Health of the source for the admin API (connection, staleness, last error). */
  status(): unknown;
  /** Re-read the source now (SIGHUP), where that means something. */
  reload?(): Promise<void>;
  close(): Promise<void>;
}
