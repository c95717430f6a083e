import type { GatewayRoutesState } from '../../dataplane/http/routes-state.js';
import type { ErrorCode } from '../../errors.js';
import type { RoutingTable } from '../../routing/table.js';

/** Primary → worker. The sticky secret travels over IPC so every worker pins alike. */
export type ToWorker =
  | { type: 'init'; stickySecret: string }
  | { type: 'table'; table: RoutingTable }
  | { type: 'shutdown' };

/**
 * Worker → primary: `ready` once it listens for messages; runtime state for the admin API once its
 * entrypoints are bound (the first report says it serves), then every second; `failed` when it cannot
 * serve (its entrypoints cannot be bound), which ends the gateway with that error.
 */
export type ToPrimary =
  | { type: 'ready' }
  | { type: 'state'; inflight: number; connections: number; routes: GatewayRoutesState | undefined }
  | { type: 'failed'; code: ErrorCode; message: string };
