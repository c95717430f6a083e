import { isValidHost } from './host-value.js';

/** The host and path+query a request is routed on. */
export interface RequestTarget {
  host: string;
  pathAndQuery: string;
}

/** `http://` or `https://`, any case. */
const ABSOLUTE_FORM = /^https?:\/\//i;

/** Where an absolute-form authority ends (RFC 3986 §3.2). */
const AUTHORITY_END = /[/?#]/;

/**
 * Routing target from the request line and Host header. Origin-form (`/path?q`) uses the Host header;
 * absolute-form (`http://host/path`, RFC 9112 §3.2.2) takes host and path from the URI. `undefined` for
 * anything else: authority-form, garbage, an authority that is not a plain host and port (userinfo:
 * RFC 9110 §4.2.4; empty: §4.2.1). The authority is checked as sent, before the WHATWG parser, which
 * would skip extra slashes and an empty userinfo (`http:///a.test/x` and `http://@a.test/x` are host
 * `a.test` to it). `*` is passed on and simply matches no route.
 *
 * @example
 * resolveTarget('/shop?x=1', 'example.com'); // { host: 'example.com', pathAndQuery: '/shop?x=1' }
 */
export function resolveTarget(url: string, hostHeader: string): RequestTarget | undefined {
  if (url.charCodeAt(0) === 0x2f || url === '*') return { host: hostHeader, pathAndQuery: url };
  const scheme = ABSOLUTE_FORM.exec(url);
  if (scheme === null) return undefined;
  const rest = url.slice(scheme[0].length);
  const end = rest.search(AUTHORITY_END);
  if (!isValidHost(end < 0 ? rest : rest.slice(0, end))) return undefined;
  try {
    const parsed = new URL(url);
    return { host: parsed.host, pathAndQuery: `${parsed.pathname}${parsed.search}` };
  } catch {
    return undefined;
  }
}
