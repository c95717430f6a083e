import { isOriginFormTarget } from '../origin-form.js';
import { hasDotSegment, hasDotSegmentWithParameters, normalizePercentEncoding } from '../path-normal-form.js';
import { accept, type Parsed, reject } from './parsed.js';

// Whitespace and control characters never belong in a request target.
const UNSAFE = /[\s\p{Cc}]/u;

/**
 * A path prefix: starts with `/`, no query (`?`), fragment (`#`), whitespace, empty or dot segments,
 * valid percent-encodings. Trailing slashes are dropped (`/shop/` → `/shop`), except for the root `/`,
 * and the path takes the form request paths are routed in: non-ASCII characters percent-encoded as
 * UTF-8, percent-encodings in normal form (`/%7euser/café` → `/~user/caf%C3%A9`).
 *
 * @example
 * parsePathPrefix('/shop/'); // { ok: true, value: '/shop' }
 */
export function parsePathPrefix(raw: string): Parsed<string> {
  const expected =
    'a path starting with `/`, without `?`, `#`, spaces, `//`, `.`/`..` segments or malformed `%` encodings';
  if (!raw.startsWith('/') || /[?#]/.test(raw) || UNSAFE.test(raw)) return reject(expected);
  const encoded = encodeNonAscii(raw.replace(/\/+$/, '') || '/');
  if (encoded === undefined) return reject(expected);
  const path = normalizePercentEncoding(encoded);
  if (path === 'malformed' || path === 'nul') return reject(expected);
  // A request path with `..;` is refused (400), so a route on one could match nothing.
  if (path.includes('//') || hasDotSegment(path) || hasDotSegmentWithParameters(path))
    return reject(expected);
  return accept(path);
}

/** Clients send a non-ASCII path as percent-encoded UTF-8 (`/café` → `/caf%C3%A9`); so must the route. */
function encodeNonAscii(path: string): string | undefined {
  try {
    return path.replace(/[\u0080-\u{10ffff}]+/gu, encodeURIComponent);
  } catch {
    // A lone surrogate has no UTF-8 encoding.
    return undefined;
  }
}

/**
 * The request target of an active health check: a path starting with `/`, optionally with a query, in
 * visible ASCII (it is written into the request line as is; non-ASCII must be percent-encoded).
 *
 * @example
 * parseHealthPath('/healthz?full=1'); // { ok: true, value: '/healthz?full=1' }
 */
export function parseHealthPath(raw: string): Parsed<string> {
  return isOriginFormTarget(raw)
    ? accept(raw)
    : reject('a path starting with `/` (a query is allowed), without `#`, spaces or non-ASCII characters');
}
