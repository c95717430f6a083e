import type { SwarmSnapshot } from '../discovery/snapshot.js';
import { buildBackend } from './backend.js';
import { dropConflicts } from './conflicts.js';
import { reporterFor, sortDiagnostics } from './diagnostics.js';
import { sortById } from './order.js';
import { type RouteCandidate, serviceRoutes } from './service-routes.js';
import { SnapshotIndex } from './snapshot-index.js';
import type { Backend, Diagnostic, RoutingTable, TranslateContext } from './table.js';
import { tableVersion } from './version.js';

/**
 * Translates a swarm snapshot into a validated routing table for a gateway in `context`. Pure and
 * deterministic: no I/O, no clock, no randomness, and the output (including `version`) does not depend
 * on the order of anything in the snapshot. A bad label drops only the route it belongs to, with a
 * diagnostic naming service, label, value and rule.
 *
 * @example
 * const table = translate(snapshot, { role: 'ingress', networks: ['proxy'] });
 * for (const d of table.diagnostics) console.warn(d.code, d.service, d.label, d.message);
 */
export function translate(snapshot: SwarmSnapshot, context: TranslateContext): RoutingTable {
  const index = new SnapshotIndex(snapshot, context);
  const diagnostics: Diagnostic[] = [];
  const candidates: RouteCandidate[] = [];
  for (const service of index.services) {
    candidates.push(...serviceRoutes(service, index, context, reporterFor(service.name, diagnostics)));
  }
  const served = dropConflicts(candidates, diagnostics);
  const backends = new Map<string, Backend>();
  for (const { route, service, target } of served) {
    if (!backends.has(route.backend)) backends.set(route.backend, buildBackend(service, target, index));
  }
  const routes = sortById(served.map((c) => c.route));
  const backendList = sortById([...backends.values()]);
  return {
    version: tableVersion(routes, backendList),
    routes,
    backends: backendList,
    diagnostics: sortDiagnostics(diagnostics),
  };
}
