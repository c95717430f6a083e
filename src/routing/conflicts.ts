import { reporterFor } from './diagnostics.js';
import { labelFor } from './labels/keys.js';
import type { Diagnostic, Route } from './table.js';

/**
 * Drops every route that claims the same host, path and priority as another route (of any service)
 * and reports SG_ERR_ROUTE_CONFLICT on each of them, naming the others. None of them is kept: keeping
 * one would let a newly deployed service silently take over another's traffic, whereas dropping all
 * fails loudly and symmetrically, whatever the services are called.
 */
export function dropConflicts<T extends { route: Route }>(candidates: T[], diagnostics: Diagnostic[]): T[] {
  const claims = new Map<string, Route[]>();
  for (const { route } of candidates) {
    for (const host of route.hosts) {
      const key = `${host} ${route.path} ${route.priority}`;
      const claimants = claims.get(key);
      if (claimants === undefined) claims.set(key, [route]);
      else claimants.push(route);
    }
  }
  const dropped = new Set<string>();
  for (const [key, claimants] of claims) {
    if (claimants.length < 2) continue;
    const host = key.slice(0, key.indexOf(' '));
    for (const route of claimants) {
      dropped.add(route.id);
      const others = claimants
        .filter((r) => r !== route)
        .map((r) => r.id)
        .sort();
      reporterFor(route.service, diagnostics).error(
        'SG_ERR_ROUTE_CONFLICT',
        { key: labelFor(route.name, 'hosts'), value: host },
        `route ${route.id} conflicts with ${others.join(', ')}: they claim the same host ${host}, path ${route.path} and priority ${route.priority}, so none of them is served; give them different hosts, paths or swarmgate.priority values`,
        route.id,
      );
    }
  }
  return candidates.filter((c) => !dropped.has(c.route.id));
}
