import type { UpstreamFailure } from '../upstreams/upstream-registry.js';
import type { HttpErrorCode } from './error-responses.js';

/** Where in an exchange with an upstream an error struck. */
export type ExchangePhase = 'connect' | 'awaiting-response' | 'streaming-response';

/** What an upstream error means for the client, passive health and retries. */
export interface UpstreamErrorKind {
  code: HttpErrorCode;
  /** What passive health is told; undefined when the upstream is not to blame. */
  failure: UpstreamFailure | undefined;
  /** May go to another upstream: always after a connect failure, for a bodyless idempotent request after a reset. */
  retry: 'always' | 'bodyless-idempotent' | 'never';
}

const CONNECT_FAILED: UpstreamErrorKind = {
  code: 'SG_ERR_UPSTREAM_CONNECT',
  failure: 'connect',
  retry: 'always',
};
const CONNECT_TIMEOUT: UpstreamErrorKind = {
  code: 'SG_ERR_UPSTREAM_TIMEOUT',
  failure: 'connect',
  retry: 'always',
};
const RESET: UpstreamErrorKind = {
  code: 'SG_ERR_UPSTREAM_RESET',
  failure: 'reset',
  retry: 'bodyless-idempotent',
};
const RESET_LATE: UpstreamErrorKind = { code: 'SG_ERR_UPSTREAM_RESET', failure: 'reset', retry: 'never' };
const TIMEOUT: UpstreamErrorKind = { code: 'SG_ERR_UPSTREAM_TIMEOUT', failure: 'timeout', retry: 'never' };
const PROTOCOL: UpstreamErrorKind = { code: 'SG_ERR_UPSTREAM_PROTOCOL', failure: undefined, retry: 'never' };
const BAD_REQUEST: UpstreamErrorKind = { code: 'SG_ERR_BAD_REQUEST', failure: undefined, retry: 'never' };
const BODY_TOO_LARGE: UpstreamErrorKind = {
  code: 'SG_ERR_BODY_TOO_LARGE',
  failure: undefined,
  retry: 'never',
};

/** HPE_*: undici's parser; ERR_*: node's own header validation when passing the head on. */
const PROTOCOL_CODE = /^(?:HPE_|ERR_|UND_ERR_RES_CONTENT_LENGTH_MISMATCH$)/;

/**
 * Maps an undici or socket error to an {@link UpstreamErrorKind}. Before the request went onto a socket
 * (`connect`) nothing was sent, so whatever failed (refused, unreachable, connect timeout) is a connect
 * failure and any request may be retried.
 *
 * @example
 * classifyUpstreamError({ code: 'UND_ERR_HEADERS_TIMEOUT' }, 'awaiting-response').code; // 'SG_ERR_UPSTREAM_TIMEOUT'
 */
export function classifyUpstreamError(
  err: { code?: unknown; name?: string },
  phase: ExchangePhase,
): UpstreamErrorKind {
  const code = err.code;
  switch (code) {
    case 'SG_ERR_BODY_TOO_LARGE':
      return BODY_TOO_LARGE;
    case 'UND_ERR_INVALID_ARG':
    case 'UND_ERR_NOT_SUPPORTED':
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      return BAD_REQUEST;
    case 'UND_ERR_CONNECT_TIMEOUT':
      return CONNECT_TIMEOUT;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return TIMEOUT;
  }
  if (phase === 'connect') return CONNECT_FAILED;
  // undici's parser refused the response (its code is not always set), or node refused the head.
  if (err.name === 'HTTPParserError' || (typeof code === 'string' && PROTOCOL_CODE.test(code)))
    return PROTOCOL;
  return phase === 'awaiting-response' ? RESET : RESET_LATE;
}
