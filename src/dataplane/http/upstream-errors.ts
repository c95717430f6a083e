import type { UpstreamFailure } from '../upstreams/upstream-registry.js';
import type { HttpErrorCode } from './error-responses.js';

/** What failed: an `Error`, a socket error, or the upstream client's coded failure. */
export type ErrorCause = { code?: unknown; message?: string };

/** Where in an exchange with an upstream an error struck. */
export type ExchangePhase = 'connect' | 'awaiting-response' | 'streaming-response';

/** What an upstream error means for the client, passive health and retries. */
export interface UpstreamErrorKind {
  code: HttpErrorCode;
  /** What passive health is told; undefined when the upstream is not to blame. */
  failure: UpstreamFailure | undefined;
  /** May go to another upstream: always after a connect failure, for a bodyless idempotent request after a reset. */
  retry: 'always' | 'bodyless-idempotent' | 'never';
  /**
   * Only a pooled connection failed, not the upstream (it had closed the connection as idle): the retry
   * may pick the same upstream, goes out on a new connection, and does not spend the retry budget.
   */
  connectionOnly: boolean;
}

/** An {@link UpstreamErrorKind}; most failures are the upstream's, not `connectionOnly`. */
function kind(
  code: HttpErrorCode,
  failure: UpstreamFailure | undefined,
  retry: UpstreamErrorKind['retry'],
  connectionOnly = false,
): UpstreamErrorKind {
  return { code, failure, retry, connectionOnly };
}

const CONNECT_FAILED = kind('SG_ERR_UPSTREAM_CONNECT', 'connect', 'always');
const CONNECT_TIMEOUT = kind('SG_ERR_UPSTREAM_TIMEOUT', 'connect', 'always');
const RESET = kind('SG_ERR_UPSTREAM_RESET', 'reset', 'bodyless-idempotent');
/**
 * A reused connection the upstream had closed as idle: the request may go out again on another
 * connection, to the same upstream too, and passive health is not told (nothing is wrong with it).
 */
const STALE_CONNECTION = kind('SG_ERR_UPSTREAM_RESET', undefined, 'bodyless-idempotent', true);
const RESET_LATE = kind('SG_ERR_UPSTREAM_RESET', 'reset', 'never');
const TIMEOUT = kind('SG_ERR_UPSTREAM_TIMEOUT', 'timeout', 'never');
const PROTOCOL = kind('SG_ERR_UPSTREAM_PROTOCOL', undefined, 'never');
/**
 * The upstream left the table and its address stopped answering (its node is down or cut off): the
 * exchange was ended before any response byte. Passive health is not told: the upstream is gone.
 */
const UNREACHABLE = kind('SG_ERR_UPSTREAM_UNREACHABLE', undefined, 'bodyless-idempotent');
/** The same while the request was not on a socket yet: nothing went out, any method may go elsewhere. */
const UNREACHABLE_UNSENT = kind('SG_ERR_UPSTREAM_UNREACHABLE', undefined, 'always');
const POOL_CLOSED = kind('SG_ERR_UPSTREAM_CONNECT', undefined, 'always');
/** The upstream is saturated, not broken: passive health is not told, and another upstream may take it. */
const QUEUE_TIMEOUT = kind('SG_ERR_NO_UPSTREAM', undefined, 'always');
/** The gateway's own client held the exchange up (nginx's `send_timeout`, `client_body_timeout`). */
const STALLED_BY_CLIENT = kind('SG_ERR_CLIENT_TIMEOUT', undefined, 'never');
const BODY_TOO_LARGE = kind('SG_ERR_BODY_TOO_LARGE', undefined, 'never');

/** ERR_*: node's own validation of the response head when passing it on to the client. */
const NODE_REFUSED_HEAD = /^ERR_/;

/**
 * Maps an upstream client (`UpstreamError`, parser) or socket error to an {@link UpstreamErrorKind}.
 * Before the request went onto a socket (`connect`) nothing was sent, so whatever failed (refused,
 * unreachable, connect timeout) is a connect failure and any request may be retried.
 *
 * @example
 * classifyUpstreamError({ code: 'SG_UPSTREAM_RESPONSE_TIMEOUT' }, 'awaiting-response').code; // 'SG_ERR_UPSTREAM_TIMEOUT'
 */
export function classifyUpstreamError(err: ErrorCause, phase: ExchangePhase): UpstreamErrorKind {
  const code = err.code;
  switch (code) {
    case 'SG_ERR_BODY_TOO_LARGE':
      return BODY_TOO_LARGE;
    case 'SG_UPSTREAM_CONNECT_TIMEOUT':
      return CONNECT_TIMEOUT;
    case 'SG_UPSTREAM_RESPONSE_TIMEOUT':
      return TIMEOUT;
    case 'SG_UPSTREAM_POOL_CLOSED':
      return POOL_CLOSED;
    case 'SG_UPSTREAM_QUEUE_TIMEOUT':
      return QUEUE_TIMEOUT;
    case 'SG_UPSTREAM_PROTOCOL':
      return PROTOCOL;
    case 'SG_UPSTREAM_STALE_CONNECTION':
      return STALE_CONNECTION;
    case 'SG_UPSTREAM_STALLED_BY_CLIENT':
      return STALLED_BY_CLIENT;
    case 'SG_UPSTREAM_UNREACHABLE':
      return phase === 'connect' ? UNREACHABLE_UNSENT : UNREACHABLE;
  }
  if (phase === 'connect') return CONNECT_FAILED;
  if (typeof code === 'string' && NODE_REFUSED_HEAD.test(code)) return PROTOCOL;
  return phase === 'awaiting-response' ? RESET : RESET_LATE;
}
