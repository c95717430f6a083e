import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { CompiledTable } from '../compiled-table.js';
import type { BodyPaceGuard } from './body-pace-guard.js';
import type { TrustedProxies } from './trusted-proxies.js';
import type { UploadSlots } from './upload-slots.js';

/** What every request handled by one gateway shares; built once, read on the hot path. */
export interface ExchangeSettings {
  readonly logger: Logger;
  readonly proxies: TrustedProxies;
  /** 0 = no limit. */
  readonly maxBodyBytes: number;
  /** Request bodies known to fit in this many bytes are read whole before going upstream; 0 = none. */
  readonly requestBufferBytes: number;
  /** Cuts request bodies that stall or trickle. */
  readonly bodyPace: BodyPaceGuard;
  /** Request bodies each client streams to upstreams, capped. */
  readonly uploadSlots: UploadSlots;
  /** Further attempts on other upstreams after a retryable failure. */
  readonly maxRetries: number;
  /**
   * Upgrades open their own connection (not a pooled one); these bound its connect and the wait for
   * the upstream's response head. Plain requests use the upstream pools' timeouts.
   */
  readonly tunnelConnectTimeoutMs: number;
  readonly tunnelHeadersTimeoutMs: number;
  /** Largest upstream response head accepted on an upgrade. */
  readonly maxHeaderBytes: number;
}

/** The gateway as a request sees it: the table to route on, and in-flight bookkeeping for graceful close. */
export interface ExchangeHost {
  /** The current table; a request keeps the one it started with. */
  readonly table: CompiledTable | undefined;
  /** True once `close` began: responses ask clients to close their connections. */
  readonly closing: boolean;
  /** True once the close grace ran out: what still runs is cut by the gateway, not by its client. */
  readonly graceExpired: boolean;
  exchangeStarted(): void;
  exchangeEnded(): void;
  /** An upgraded connection, destroyed when the gateway's close grace runs out. */
  tunnelOpened(socket: Duplex): void;
  tunnelClosed(socket: Duplex): void;
}
