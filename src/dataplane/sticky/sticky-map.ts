import { stickyCookieValue } from './cookie-value.js';

/**
 * Cookie value ↔ upstream for one route and one table version, computed once at compile time so the
 * request path only does a Map lookup (no HMAC per request).
 *
 * @example
 * const map = new StickyMap(secret, 'shop/default', handles);
 * map.lookup(cookieValue); // the pinned handle, or undefined for an unknown/stale value
 */
export class StickyMap<T extends { readonly id: string }> {
  readonly #byValue = new Map<string, T>();
  readonly #valueById = new Map<string, string>();

  constructor(secret: Buffer, routeId: string, upstreams: Iterable<T>) {
    for (const upstream of upstreams) {
      const value = stickyCookieValue(secret, routeId, upstream.id);
      this.#byValue.set(value, upstream);
      this.#valueById.set(upstream.id, value);
    }
    Object.freeze(this);
  }

  /** The upstream a cookie value pins, if it is one of this route's upstreams. */
  lookup(value: string): T | undefined {
    return this.#byValue.get(value);
  }

  /** The cookie value that pins an upstream of this route. */
  valueOf(upstreamId: string): string | undefined {
    return this.#valueById.get(upstreamId);
  }
}
