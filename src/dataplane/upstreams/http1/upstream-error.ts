/** Why the upstream client gave up on an exchange, when no socket error says it. */
export type UpstreamErrorCode =
  /** No TCP connection within the connect timeout. */
  | 'SG_UPSTREAM_CONNECT_TIMEOUT'
  /** The connection stayed silent for the upstream timeout (no response head, or a stalled body). */
  | 'SG_UPSTREAM_RESPONSE_TIMEOUT'
  /** The upstream closed the connection before the response was complete. */
  | 'SG_UPSTREAM_CLOSED'
  /**
   * A reused keep-alive connection closed or reset before any byte of the response: most likely the
   * upstream closed it as idle while the request was on its way, so the upstream itself is not to blame.
   */
  | 'SG_UPSTREAM_STALE_CONNECTION'
  /**
   * The connection sat idle for the upstream timeout because of the gateway's client: it stopped reading
   * the response (the upstream is paused for backpressure) or stopped sending the request body.
   */
  | 'SG_UPSTREAM_STALLED_BY_CLIENT'
  /**
   * The upstream left the routing table and a probe of its address got no answer (its node is down or
   * cut off): the exchange had no response byte yet and was ended at once, not at the upstream timeout.
   */
  | 'SG_UPSTREAM_UNREACHABLE'
  /** The pool was closing; the request never went out. */
  | 'SG_UPSTREAM_POOL_CLOSED'
  /** Every connection stayed busy while the request waited for one; it never went out. */
  | 'SG_UPSTREAM_QUEUE_TIMEOUT';

/** An upstream client failure with a code the proxy classifies (see `classifyUpstreamError`). */
export class UpstreamError extends Error {
  readonly code: UpstreamErrorCode;
  constructor(code: UpstreamErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UpstreamError';
    this.code = code;
  }
}
