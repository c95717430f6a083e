import type { Backend, RoutingTable } from '../routing/table.js';

/** The stable JSON shape of `swarmgate routes --json` (a projection of the routing table). */
export interface RoutesJson {
  version: string;
  routes: Array<{
    id: string;
    service: string;
    hosts: string[];
    path: string;
    stripPath: boolean;
    priority: number;
    upstream: { mode: string; port: number };
    sticky: { cookie: string } | null;
    upstreams: Array<{
      address: string;
      task: string | null;
      slot: number | null;
      node: string;
      state: string;
    }>;
  }>;
  diagnostics: Array<{ code: string; service: string; label: string; value: string; message: string }>;
}

/** Projects a routing table onto the `routes --json` shape. */
export function routesJson(table: RoutingTable): RoutesJson {
  const backends = new Map<string, Backend>(table.backends.map((b) => [b.id, b]));
  return {
    version: table.version,
    routes: table.routes.map((r) => {
      const backend = backends.get(r.backend);
      return {
        id: r.id,
        service: r.service,
        hosts: r.hosts,
        path: r.path,
        stripPath: r.stripPath,
        priority: r.priority,
        upstream: { mode: backend?.mode ?? 'unknown', port: backend?.port ?? 0 },
        sticky: r.sticky ? { cookie: r.sticky.cookie } : null,
        upstreams: (backend?.upstreams ?? []).map((u) => ({
          address: u.address,
          task: u.task ?? null,
          slot: u.slot ?? null,
          node: u.nodeHostname,
          state: u.state,
        })),
      };
    }),
    diagnostics: table.diagnostics.map((d) => ({
      code: d.code,
      service: d.service,
      label: d.label,
      value: d.value,
      message: d.message,
    })),
  };
}

/**
 * Human-readable rendering of a routing table for the terminal; with `maxRoutes`, only the first ones
 * and a count of the rest.
 */
export function renderTable(table: RoutingTable, maxRoutes = Number.POSITIVE_INFINITY): string {
  const view = routesJson({ ...table, routes: table.routes.slice(0, maxRoutes) });
  const lines = [`routing table ${view.version}: ${table.routes.length} route(s)`];
  for (const r of view.routes) {
    const sticky = r.sticky ? ` sticky=${r.sticky.cookie}` : '';
    const strip = r.stripPath ? ' strip-path' : '';
    lines.push(
      `  ${r.hosts.join(',')}${r.path} -> ${r.id} [${r.upstream.mode}:${r.upstream.port}]${strip}${sticky}`,
    );
    if (r.upstreams.length === 0) lines.push('      (no upstreams)');
    for (const u of r.upstreams) {
      const slot = u.slot === null ? '' : ` slot ${u.slot}`;
      lines.push(`      ${u.address.padEnd(22)} ${u.state.padEnd(8)} node ${u.node}${slot}`);
    }
  }
  const left = table.routes.length - view.routes.length;
  if (left > 0) lines.push(`  ... and ${left} more route(s)`);
  if (view.diagnostics.length > 0) lines.push(`diagnostics: ${view.diagnostics.length}`);
  for (const d of view.diagnostics) {
    const where = d.label ? `${d.label}=${JSON.stringify(d.value)}` : '(service)';
    lines.push(`  ${d.code} ${d.service} ${where}: ${d.message}`);
  }
  return lines.join('\n');
}
