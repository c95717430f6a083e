/**
 * The upstream's response breaks HTTP/1.1 framing or syntax (RFC 9112). The connection it came on is
 * out of step with the upstream and must be closed.
 *
 * @example
 * new ResponseParseError('invalid content-length').message; // 'invalid upstream response: invalid content-length'
 */
export class ResponseParseError extends Error {
  readonly code = 'SG_UPSTREAM_PROTOCOL';
  /** Short and stable, e.g. `invalid status line`, `head too large`, `incomplete response`. */
  readonly reason: string;
  constructor(reason: string) {
    super(`invalid upstream response: ${reason}`);
    this.name = 'ResponseParseError';
    this.reason = reason;
  }
}
