import { parseDuration, parseMaxAge } from './durations.js';
import { parseHosts } from './hosts.js';
import type { Parser } from './parsed.js';
import { parseHealthPath, parsePathPrefix } from './paths.js';
import { parseBool, parseCookieName, parseInteger, parseName, parseOneOf, parsePort } from './scalars.js';
import { parseSize } from './sizes.js';

export const LABEL_PREFIX = 'swarmgate.';
export const ENABLE_LABEL = 'swarmgate.enable';
export const ROUTES_PREFIX = 'swarmgate.routes.';
/** The route formed by the unscoped keys (`swarmgate.hosts`, ...). */
export const DEFAULT_ROUTE = 'default';
/** Names in `swarmgate.routes.<name>.<key>`. */
export const ROUTE_NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Every key a route understands, with the parser of its value. The same keys are valid unscoped
 * (`swarmgate.<key>`) and per route (`swarmgate.routes.<name>.<key>`).
 */
export const ROUTE_KEYS = {
  hosts: parseHosts,
  path: parsePathPrefix,
  'strip-path': parseBool,
  port: parsePort,
  network: parseName,
  upstream: parseOneOf(['task', 'hostport', 'mesh']),
  sticky: parseOneOf(['cookie', 'none']),
  'sticky.cookie': parseCookieName,
  'sticky.max-age': parseMaxAge,
  balance: parseOneOf(['round-robin', 'least-requests']),
  'health.path': parseHealthPath,
  'health.interval': parseDuration,
  'health.timeout': parseDuration,
  tls: parseBool,
  'redirect-https': parseBool,
  priority: parseInteger,
  'max-body-size': parseSize,
} satisfies Record<string, Parser<unknown>>;

export type RouteKey = keyof typeof ROUTE_KEYS;

/** The typed value of each key. */
export type RouteValues = {
  [K in RouteKey]?: (typeof ROUTE_KEYS)[K] extends Parser<infer T> ? T : never;
};

/**
 * Keys that describe *where* a route matches. A named route never inherits them from the unscoped
 * labels: the unscoped ones belong to route `default` only.
 */
export const NOT_INHERITED: ReadonlySet<RouteKey> = new Set(['hosts', 'path', 'strip-path', 'priority']);

export function isRouteKey(key: string): key is RouteKey {
  return Object.hasOwn(ROUTE_KEYS, key);
}

/** The full label that sets `key` for a route: `swarmgate.port` or `swarmgate.routes.api.port`. */
export function labelFor(route: string, key: RouteKey): string {
  return route === DEFAULT_ROUTE ? `${LABEL_PREFIX}${key}` : `${ROUTES_PREFIX}${route}.${key}`;
}
