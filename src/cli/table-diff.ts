import type { RoutesJson } from './table-view.js';

type RouteView = RoutesJson['routes'][number];
type UpstreamView = RouteView['upstreams'][number];

/**
 * Line-oriented diff between two `routes --json` views, for `routes --watch`.
 * `+` added, `-` removed, `~` changed; upstreams are compared by address within a route.
 */
export function diffTables(before: RoutesJson, after: RoutesJson): string[] {
  const lines: string[] = [];
  const old = new Map(before.routes.map((r) => [r.id, r]));
  const now = new Map(after.routes.map((r) => [r.id, r]));
  for (const [id, r] of now) {
    const prev = old.get(id);
    if (!prev) {
      lines.push(`+ route ${id} ${r.hosts.join(',')}${r.path} [${r.upstream.mode}:${r.upstream.port}]`);
      for (const u of r.upstreams) lines.push(`+   ${describe(u)}`);
      continue;
    }
    const head = `${r.hosts.join(',')}${r.path} [${r.upstream.mode}:${r.upstream.port}]`;
    if (head !== `${prev.hosts.join(',')}${prev.path} [${prev.upstream.mode}:${prev.upstream.port}]`) {
      lines.push(`~ route ${id} ${head}`);
    }
    lines.push(...diffUpstreams(id, prev.upstreams, r.upstreams));
  }
  for (const id of old.keys()) if (!now.has(id)) lines.push(`- route ${id}`);
  const key = (d: RoutesJson['diagnostics'][number]) => `${d.code} ${d.service} ${d.label}: ${d.message}`;
  const oldDiags = new Set(before.diagnostics.map(key));
  const newDiags = new Set(after.diagnostics.map(key));
  for (const d of newDiags) if (!oldDiags.has(d)) lines.push(`+ diagnostic ${d}`);
  for (const d of oldDiags) if (!newDiags.has(d)) lines.push(`- diagnostic ${d}`);
  return lines;
}

function diffUpstreams(route: string, before: UpstreamView[], after: UpstreamView[]): string[] {
  const lines: string[] = [];
  const old = new Map(before.map((u) => [u.address, u]));
  const now = new Map(after.map((u) => [u.address, u]));
  for (const [address, u] of now) {
    const prev = old.get(address);
    if (!prev) lines.push(`+ ${route}  ${describe(u)}`);
    else if (prev.state !== u.state || prev.task !== u.task) lines.push(`~ ${route}  ${describe(u)}`);
  }
  for (const [address, u] of old) if (!now.has(address)) lines.push(`- ${route}  ${describe(u)}`);
  return lines;
}

function describe(u: UpstreamView): string {
  const slot = u.slot === null ? '' : ` slot ${u.slot}`;
  return `${u.address} ${u.state} node ${u.node}${slot}`;
}
