import type { Route } from '../../routing/table.js';

/** The parts of a route that decide matching. */
export type RouteRule = Pick<Route, 'id' | 'hosts' | 'path' | 'priority' | 'stripPath'>;

/** A rule and what the matcher returns when it wins. */
export interface MatcherEntry<T> {
  rule: RouteRule;
  value: T;
}

/** The winning route and the path+query to forward (after strip-path; always starts with `/`). */
export interface MatchResult<T> {
  route: T;
  forwardPath: string;
}

/**
 * A compiled, immutable host+path matcher. Rules:
 * - hosts: exact names, or `*.example.com` matching exactly one extra leading label; the request host is
 *   lower-cased, its port and a trailing dot dropped; IPv6 literals keep their brackets (`[::1]`);
 *   a rule with no hosts matches any host (and requests without one);
 * - paths: prefixes on segment boundaries (`/shop` matches `/shop`, `/shop/`, `/shop/x`, `/shop?q`, not
 *   `/shopping`), compared on the raw (undecoded) path;
 * - among matches the highest priority wins, ties go to the smallest route id.
 *
 * @example
 * const m = createHostMapMatcher([{ rule: route, value: route }]);
 * m.match('Shop.Example.com:8443', '/shop/cart?x=1'); // { route, forwardPath: '/cart?x=1' } with strip-path
 */
export interface RouteMatcher<T> {
  match(host: string | undefined, pathAndQuery: string): MatchResult<T> | undefined;
}

/** Builds a matcher from entries; each implementation passes the shared matcher conformance suite. */
export type MatcherFactory = <T>(entries: readonly MatcherEntry<T>[]) => RouteMatcher<T>;
