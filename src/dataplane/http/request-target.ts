/** The host and path+query a request is routed on. */
export interface RequestTarget {
  host: string;
  pathAndQuery: string;
}

/**
 * Routing target from the request line and Host header. Origin-form (`/path?q`) uses the Host header;
 * absolute-form (`http://host/path`, RFC 9112 §3.2.2) takes host and path from the URI. `undefined` for
 * anything else (authority-form, garbage, userinfo in the URI: RFC 9110 §4.2.4); `*` is passed on and
 * simply matches no route.
 *
 * @example
 * resolveTarget('/shop?x=1', 'example.com'); // { host: 'example.com', pathAndQuery: '/shop?x=1' }
 */
export function resolveTarget(url: string, hostHeader: string): RequestTarget | undefined {
  if (url.charCodeAt(0) === 0x2f || url === '*') return { host: hostHeader, pathAndQuery: url };
  if (!/^https?:\/\//i.test(url)) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.username !== '' || parsed.password !== '') return undefined;
    return { host: parsed.host, pathAndQuery: `${parsed.pathname}${parsed.search}` };
  } catch {
    return undefined;
  }
}
