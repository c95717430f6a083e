import type { Upstream } from '../../routing/table.js';
import type { UpstreamError } from './http1/upstream-error.js';
import type { UpstreamPool } from './http1/upstream-pool.js';

/** Why a request to an upstream failed, as far as passive health cares. */
export type UpstreamFailure = 'connect' | 'reset' | 'timeout';

/** An exchange outside the pool (an upgrade) that has no byte of its answer yet. */
export interface UnansweredExchange {
  /** Ends the exchange with `err`, as a pooled one with no response byte would be. */
  failUnanswered(err: UpstreamError): void;
}

/** Lifecycle of an upstream in the registry: `removed` once it left the table (its pool closes when idle). */
export type UpstreamHandleState = 'ready' | 'draining' | 'removed';

/**
 * One upstream as the data plane sees it: identity, latest table data, lifecycle, health, in-flight
 * count and its keep-alive pool. The same object lives across table swaps, so counters and health carry over.
 *
 * @example
 * const handle = registry.get('task:abc:8080');
 * if (handle?.available()) { handle.requestStarted(); ... handle.reportSuccess(); handle.requestFinished(); }
 */
export interface UpstreamHandle {
  readonly id: string;
  /** `host:port` (IPv6 hosts in brackets); fixed for the handle's life. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** Latest data from the routing table. */
  readonly upstream: Upstream;
  readonly state: UpstreamHandleState;
  /** When the upstream was first seen draining (registry clock, ms); absent unless draining. */
  readonly drainingSince?: number;
  /** Requests started and not yet finished (as reported by the proxy). */
  readonly inflight: number;
  /** Passive and active health combined. */
  readonly healthy: boolean;
  /** Keep-alive connection pool to this upstream, created on first use. */
  readonly pool: UpstreamPool;
  /** May take new sessions: ready, healthy and not removed. */
  available(): boolean;
  /**
   * May keep an existing sticky session: healthy, not removed, and ready or draining for less than
   * the drain timeout. `now` defaults to the registry clock (read only for a draining upstream);
   * `drainTimeoutMs` overrides the registry's.
   */
  stickyUsable(now?: number, drainTimeoutMs?: number): boolean;
  requestStarted(): void;
  requestFinished(): void;
  /** Passive health: a refused connect marks the upstream down at once; resets and timeouts count towards `maxFails`. */
  reportFailure(kind: UpstreamFailure): void;
  reportSuccess(): void;
  /**
   * Registers an exchange outside the pool while it awaits its answer, so that an upstream that left
   * the table and stopped answering ends it like the pool's (see `RegisteredUpstream.retire`).
   * Returns the function that unregisters it.
   */
  awaitAnswer(exchange: UnansweredExchange): () => void;
}
