import { createHash } from 'node:crypto';
import type { Backend, Route } from './table.js';

/**
 * The table version: the first 16 hex digits of sha256 over the canonical JSON of routes and backends.
 * Canonical because both arrays (and the upstreams inside) are sorted by id and every object is built
 * with a fixed key order. Diagnostics are not part of it: they do not change what is served.
 */
export function tableVersion(routes: readonly Route[], backends: readonly Backend[]): string {
  return createHash('sha256').update(JSON.stringify({ routes, backends })).digest('hex').slice(0, 16);
}
