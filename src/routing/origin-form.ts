/** `/`, then visible ASCII other than `#`. */
const ORIGIN_FORM = /^\/[\x21-\x22\x24-\x7e]*$/;

/**
 * Whether `target` can go into a request line byte for byte as an origin-form target (RFC 9112 §3.2.1):
 * a path and optional query of visible ASCII, without `#`. Anything else (spaces, CR or LF, characters
 * beyond ASCII, which a latin1 write would cut to one byte, possibly a CR or LF) would change the
 * request or add one.
 *
 * @example
 * isOriginFormTarget('/healthz?full=1'); // true
 * isOriginFormTarget('/hc HTTP/1.1\r\nHost: x'); // false
 */
export function isOriginFormTarget(target: string): boolean {
  return ORIGIN_FORM.test(target);
}
