import type { RoutingTable } from './table.js';

/** One broken cross-reference in a table: where (as a zod issue path) and what. */
export interface TableIssue {
  path: (string | number)[];
  message: string;
}

/**
 * What a table file can get wrong between its entries, which translated tables never do: ids used
 * twice, one upstream id for two addresses, routes pointing at no backend, and routes that claim the
 * same host, path and priority (labels drop such routes with SG_ERR_ROUTE_CONFLICT; a file is refused,
 * since which one it meant is unknown).
 *
 * @example
 * tableIssues(table); // [{ path: ['routes', 1, 'id'], message: 'route id "web/default" is also routes.0\'s; ...' }]
 */
export function tableIssues(table: RoutingTable): TableIssue[] {
  const issues: TableIssue[] = [];
  const report = (path: TableIssue['path'], message: string) => issues.push({ path, message });

  const backends = firstIndexes(
    table.backends,
    (b) => b.id,
    (i, first, id) =>
      report(
        ['backends', i, 'id'],
        `backend id "${id}" is also backends.${first}'s; backend ids must be unique`,
      ),
  );
  firstIndexes(
    table.routes,
    (r) => r.id,
    (i, first, id) =>
      report(['routes', i, 'id'], `route id "${id}" is also routes.${first}'s; route ids must be unique`),
  );

  const addresses = new Map<string, { address: string; at: string }>();
  table.backends.forEach((backend, b) => {
    const inBackend = new Set<string>();
    backend.upstreams.forEach((upstream, u) => {
      const path = ['backends', b, 'upstreams', u, 'id'];
      if (inBackend.has(upstream.id)) {
        report(path, `upstream id "${upstream.id}" is listed twice in backend "${backend.id}"`);
        return;
      }
      inBackend.add(upstream.id);
      const seen = addresses.get(upstream.id);
      if (seen === undefined) addresses.set(upstream.id, { address: upstream.address, at: path.join('.') });
      else if (seen.address !== upstream.address)
        report(
          path,
          `upstream id "${upstream.id}" names ${upstream.address} here but ${seen.address} at ${seen.at}; an upstream id stands for one address`,
        );
    });
  });

  const claims = new Map<string, number>();
  table.routes.forEach((route, r) => {
    if (!backends.has(route.backend)) report(['routes', r, 'backend'], `unknown backend "${route.backend}"`);
    for (const host of route.hosts) {
      const claim = `${host} ${route.path} ${route.priority}`;
      const first = claims.get(claim);
      if (first === undefined) claims.set(claim, r);
      else if (first !== r)
        report(
          ['routes', r],
          `route "${route.id}" claims host ${host}, path ${route.path} and priority ${route.priority}, as routes.${first} ("${table.routes[first]!.id}") does; give them different hosts, paths or priorities`,
        );
    }
  });
  return issues;
}

/** The index of each key's first item; `duplicate` is called for every later item with a key seen before. */
function firstIndexes<T>(
  items: readonly T[],
  key: (item: T) => string,
  duplicate: (index: number, first: number, key: string) => void,
): Map<string, number> {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    const seen = first.get(k);
    if (seen === undefined) first.set(k, i);
    else duplicate(i, seen, k);
  });
  return first;
}
