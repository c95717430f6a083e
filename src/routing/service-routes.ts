import type { ServiceInfo } from '../discovery/snapshot.js';
import { backendId } from './backend.js';
import { defaultCookieName } from './cookie-name.js';
import { type Reporter, unsetLabel } from './diagnostics.js';
import { groupRouteLabels, type RouteLabelScopes } from './labels/group.js';
import { DEFAULT_ROUTE, ENABLE_LABEL, LABEL_PREFIX, NOT_INHERITED } from './labels/keys.js';
import { parseBool } from './labels/scalars.js';
import { compareStrings, sortInPlace } from './order.js';
import { defaultPriority } from './priority.js';
import { type RouteSettings, resolveRouteSettings } from './route-settings.js';
import type { SnapshotIndex } from './snapshot-index.js';
import type { Route, StickyConfig, TranslateContext } from './table.js';
import { selectUpstreamTarget, type UpstreamTarget } from './upstream-target.js';

/** A route that passed validation, with what its backend will be built from. */
export interface RouteCandidate {
  route: Route;
  service: ServiceInfo;
  target: UpstreamTarget;
}

/**
 * The valid routes of one service, in route-name order, which is route id order: the table's routes
 * then mostly come out of the services already sorted. Every problem goes to `report`; an invalid
 * route is left out and the service's other routes are still returned.
 */
export function serviceRoutes(
  service: ServiceInfo,
  index: SnapshotIndex,
  context: TranslateContext,
  report: Reporter,
): RouteCandidate[] {
  const enabled = isEnabled(service, report);
  reportContainerLabels(service, enabled, report);
  if (!enabled) return [];
  const scopes = groupRouteLabels(service.labels, service.name, report);
  const routes = routeScopes(scopes);
  if (routes.length === 0) {
    report.error(
      'SG_ERR_LABEL_MISSING',
      unsetLabel(`${LABEL_PREFIX}hosts`),
      'swarmgate.enable is true but the service has no route: set swarmgate.hosts, or swarmgate.routes.<name>.hosts for named routes',
    );
    return [];
  }
  if (!scopes.unscoped.has('hosts')) reportUnusedRouteOnlyKeys(scopes, report);
  const candidates: RouteCandidate[] = [];
  for (const [name, own] of routes) {
    const settings = resolveRouteSettings(service.name, name, own, scopes.unscoped, report);
    const target = settings && selectUpstreamTarget(service, settings, index, report);
    if (settings === undefined || target === undefined) continue;
    candidates.push({ route: assembleRoute(service, settings, target, context), service, target });
  }
  return candidates;
}

function isEnabled(service: ServiceInfo, report: Reporter): boolean {
  const value = service.labels[ENABLE_LABEL];
  if (value === undefined) return false;
  const parsed = parseBool(value.trim());
  if (parsed.ok) return parsed.value;
  report.error(
    'SG_ERR_LABEL_INVALID',
    { key: ENABLE_LABEL, value },
    `${ENABLE_LABEL} must be ${parsed.expected}; the service is not routed`,
  );
  return false;
}

/** Stack files put `labels:` on the container; swarm services read routing labels from `deploy.labels:`. */
function reportContainerLabels(service: ServiceInfo, enabled: boolean, report: Reporter): void {
  const misplaced = Object.keys(service.containerLabels)
    .filter((k) => k.startsWith(LABEL_PREFIX))
    .sort();
  if (misplaced.length === 0) return;
  const consequence = enabled
    ? 'The service labels are used; these are ignored.'
    : 'Until then the service is not routed.';
  report.warning(
    'SG_ERR_LABEL_ON_CONTAINER',
    { key: '', value: misplaced.join(', ') },
    `swarmgate labels are set on the container (\`labels:\` in the stack file), where swarm services do not read them: move them under \`deploy.labels:\`. ${consequence}`,
  );
}

/** Route `default` exists only when `swarmgate.hosts` is set; named routes exist when any of their keys is. */
function routeScopes(scopes: RouteLabelScopes): [string, RouteLabelScopes['unscoped']][] {
  const routes = [...scopes.named];
  if (scopes.unscoped.has('hosts')) routes.push([DEFAULT_ROUTE, scopes.unscoped]);
  return sortInPlace(routes, byRouteName);
}

function byRouteName([a]: [string, unknown], [b]: [string, unknown]): number {
  return compareStrings(a, b);
}

/** Without `swarmgate.hosts` there is no route `default`, and named routes do not inherit these keys. */
function reportUnusedRouteOnlyKeys(scopes: RouteLabelScopes, report: Reporter): void {
  for (const key of NOT_INHERITED) {
    const label = scopes.unscoped.get(key);
    if (label === undefined) continue;
    report.warning(
      'SG_ERR_LABEL_UNUSED',
      label,
      `${label.key} has no effect without swarmgate.hosts: it belongs to route \`default\`, and named routes do not inherit it (use swarmgate.routes.<name>.${key}); it is ignored`,
    );
  }
}

function assembleRoute(
  service: ServiceInfo,
  settings: RouteSettings,
  target: UpstreamTarget,
  context: TranslateContext,
): Route {
  const route: Route = {
    id: settings.id,
    service: service.name,
    name: settings.name,
    hosts: settings.hosts,
    path: settings.path,
    stripPath: settings.stripPath,
    priority: settings.priority ?? defaultPriority(settings.hosts, settings.path),
    backend: backendId(service, target),
    sticky: stickyConfig(settings, context),
    balance: settings.balance,
    health: settings.health,
    tls: settings.tls,
    redirectHttps: settings.redirectHttps,
  };
  if (settings.maxBodyBytes !== undefined) route.maxBodyBytes = settings.maxBodyBytes;
  return route;
}

function stickyConfig({ sticky, id }: RouteSettings, context: TranslateContext): StickyConfig | null {
  if (sticky === null) return null;
  const cookie = sticky.cookie ?? defaultCookieName(context.role, id);
  return sticky.maxAge === undefined ? { cookie } : { cookie, maxAge: sticky.maxAge };
}
