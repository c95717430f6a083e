const HEX = /^[0-9A-Fa-f]{2}$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;
/** A `.` or `..` segment followed by parameters: `/..;x`, `/.%3B` (upper case after normalisation). */
const DOT_SEGMENT_WITH_PARAMETERS = /\/\.\.?(?:;|%3B)/;
/** RFC 3986 §2.3: an encoding of one of these means the character itself. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * `path` with its percent-encodings in the normal form of RFC 3986 §6.2.2: encoded unreserved
 * characters decoded (`%7E` → `~`, `%2e` → `.`), every other encoding in upper case (`%c3` → `%C3`).
 * Route paths and request paths both go through it, so a route matches however a client encodes the
 * same path. `'malformed'` for a `%` without two hex digits, `'nul'` for `%00`.
 *
 * @example
 * normalizePercentEncoding('/%7euser/caf%c3%a9'); // '/~user/caf%C3%A9'
 */
export function normalizePercentEncoding(path: string): string | 'malformed' | 'nul' {
  let at = path.indexOf('%');
  if (at < 0) return path;
  let out = '';
  let copied = 0;
  for (; at >= 0; at = path.indexOf('%', at + 3)) {
    const hex = path.slice(at + 1, at + 3);
    if (!HEX.test(hex)) return 'malformed';
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    if (char === '\0') return 'nul';
    out += path.slice(copied, at) + (UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`);
    copied = at + 3;
  }
  return out + path.slice(copied);
}

/** `path` has a `.` or `..` segment (`/a/./b`, `/a/..`), which RFC 3986 §5.2.4 resolves away. */
export function hasDotSegment(path: string): boolean {
  return DOT_SEGMENT.test(path);
}

/**
 * `path` (percent-encodings in normal form) has a segment that is `.` or `..` before a `;`
 * (`/api/..;jsessionid=1/admin`, `/api/..%3B/admin`). RFC 3986 keeps such a segment, but Tomcat and
 * Spring drop the parameters and then resolve the dots: behind a proxy that routed `/api/..;/admin`
 * on `/api`, they serve `/admin`.
 */
export function hasDotSegmentWithParameters(path: string): boolean {
  return DOT_SEGMENT_WITH_PARAMETERS.test(path);
}
