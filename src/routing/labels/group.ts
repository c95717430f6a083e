import type { Label, Reporter } from '../diagnostics.js';
import {
  DEFAULT_ROUTE,
  ENABLE_LABEL,
  isRouteKey,
  LABEL_PREFIX,
  ROUTE_KEYS,
  ROUTE_NAME,
  ROUTES_PREFIX,
  type RouteKey,
} from './keys.js';

/** A service's route labels, sorted into the unscoped scope and one scope per named route. */
export interface RouteLabelScopes {
  unscoped: Map<RouteKey, Label>;
  named: Map<string, Map<RouteKey, Label>>;
}

const KNOWN_KEYS = Object.keys(ROUTE_KEYS).join(', ');

/**
 * Sorts the `swarmgate.*` labels (except `swarmgate.enable`) into scopes. Unknown keys are reported as
 * warnings and ignored; keys under an invalid route name are reported as errors.
 *
 * @example
 * groupRouteLabels({ 'swarmgate.hosts': 'a.example', 'swarmgate.routes.api.path': '/api' }, 'shop', report);
 * // unscoped: hosts; named: api → path
 */
export function groupRouteLabels(
  labels: Record<string, string>,
  service: string,
  report: Reporter,
): RouteLabelScopes {
  const scopes: RouteLabelScopes = { unscoped: new Map(), named: new Map() };
  // In the engine's order: scopes are read by key and route name, and diagnostics are sorted at the
  // end, so the order labels are listed in changes nothing (a property test permutes them).
  for (const key of Object.keys(labels)) {
    if (!key.startsWith(LABEL_PREFIX) || key === ENABLE_LABEL) continue;
    const label = { key, value: labels[key] ?? '' };
    if (key.startsWith(ROUTES_PREFIX)) {
      addNamed(scopes, label, service, report);
    } else {
      const routeKey = key.slice(LABEL_PREFIX.length);
      if (isRouteKey(routeKey)) scopes.unscoped.set(routeKey, label);
      else report.warning('SG_ERR_LABEL_UNKNOWN', label, unknownKeyMessage(key, routeKey));
    }
  }
  return scopes;
}

function addNamed(scopes: RouteLabelScopes, label: Label, service: string, report: Reporter): void {
  const rest = label.key.slice(ROUTES_PREFIX.length);
  const dot = rest.indexOf('.');
  if (dot <= 0 || dot === rest.length - 1) {
    report.warning(
      'SG_ERR_LABEL_UNKNOWN',
      label,
      `\`${label.key}\` is not a swarmgate label: route labels look like swarmgate.routes.<name>.<key>; it is ignored`,
    );
    return;
  }
  const name = rest.slice(0, dot);
  const routeKey = rest.slice(dot + 1);
  if (name === DEFAULT_ROUTE) {
    report.error(
      'SG_ERR_LABEL_INVALID',
      label,
      `route name \`default\` is reserved for the unscoped labels: write swarmgate.${routeKey} instead, or pick another name; this label is ignored`,
    );
    return;
  }
  if (!ROUTE_NAME.test(name)) {
    report.error(
      'SG_ERR_LABEL_INVALID',
      label,
      `route name \`${name}\` is invalid: names use lower-case letters, digits and hyphens and start with a letter or digit ([a-z0-9][a-z0-9-]*)`,
      `${service}/${name}`,
    );
    return;
  }
  if (!isRouteKey(routeKey)) {
    report.warning('SG_ERR_LABEL_UNKNOWN', label, unknownKeyMessage(label.key, routeKey));
    return;
  }
  let scope = scopes.named.get(name);
  if (scope === undefined) {
    scope = new Map();
    scopes.named.set(name, scope);
  }
  scope.set(routeKey, label);
}

function unknownKeyMessage(label: string, key: string): string {
  return `\`${label}\` is not a swarmgate label (unknown key \`${key}\`); it is ignored. Known keys: ${KNOWN_KEYS}`;
}
