import { hash } from 'node:crypto';
import type { Backend, Route, Upstream } from './table.js';

/**
 * The table version: the first 16 hex digits of sha256 over the JSON of every field of the routes and
 * backends, each object written as an array of its values in a fixed field order. Canonical because both
 * lists (and the upstreams inside) are sorted by id. Diagnostics are not part of it: they do not change
 * what is served. Arrays rather than the objects themselves because serializing the field names made
 * up most of the version's cost; no field is both optional and nullable, so writing an absent field as
 * `null` keeps the encoding one-to-one. A test changes every field of a table and expects a new version.
 *
 * @example
 * tableVersion(table.routes, table.backends); // '3f0c9a1e5b7d2c84'
 */
export function tableVersion(routes: readonly Route[], backends: readonly Backend[]): string {
  const values = [routes.map(routeValues), backends.map(backendValues)];
  return hash('sha256', JSON.stringify(values), 'hex').slice(0, 16);
}

function routeValues(r: Route): unknown[] {
  return [
    r.id,
    r.service,
    r.name,
    r.hosts,
    r.path,
    r.stripPath,
    r.priority,
    r.backend,
    r.sticky && [r.sticky.cookie, r.sticky.maxAge],
    r.balance,
    r.health && [r.health.path, r.health.intervalMs, r.health.timeoutMs],
    r.tls,
    r.redirectHttps,
    r.maxBodyBytes,
  ];
}

function backendValues(b: Backend): unknown[] {
  return [b.id, b.service, b.serviceId, b.mode, b.port, b.network, b.upstreams.map(upstreamValues)];
}

function upstreamValues(u: Upstream): unknown[] {
  return [u.id, u.address, u.host, u.port, u.task, u.slot, u.node, u.nodeHostname, u.state];
}
