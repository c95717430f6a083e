import type { Label, Reporter } from './diagnostics.js';
import { unsetLabel } from './diagnostics.js';
import {
  DEFAULT_ROUTE,
  labelFor,
  NOT_INHERITED,
  ROUTE_KEYS,
  type RouteKey,
  type RouteValues,
} from './labels/keys.js';
import type { Parser } from './labels/parsed.js';
import type { BalancePolicy, HealthCheckConfig, UpstreamMode } from './table.js';

export const DEFAULT_HEALTH_INTERVAL_MS = 10_000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 2_000;

/** What one route's labels say, validated and with defaults applied; the swarm is not consulted yet. */
export interface RouteSettings {
  id: string;
  name: string;
  hosts: string[];
  path: string;
  stripPath: boolean;
  /** Explicit `priority`; the default is derived later from hosts and path. */
  priority?: number;
  /** Explicit `port`; the default comes from the service's published ports. */
  port?: number;
  network?: Label;
  upstream?: UpstreamMode;
  /** Null when not sticky; `cookie` absent means the derived default name. */
  sticky: { cookie?: string; maxAge?: number } | null;
  balance: BalancePolicy;
  health: HealthCheckConfig | null;
  tls: boolean;
  redirectHttps: boolean;
  /** Request body limit of this route, in bytes. */
  maxBodyBytes?: number;
  /** The label that supplied each key, for diagnostics found later (port, network, upstream). */
  labels: Map<RouteKey, Label>;
}

/**
 * Resolves one route's labels: its own keys, plus the unscoped keys a named route inherits (all but
 * `hosts`, `path`, `strip-path`, `priority`). Every invalid label is reported as an error naming this
 * route, and the route is then dropped (undefined); mere oddities are warnings.
 *
 * @example
 * resolveRouteSettings('shop', 'api', scopes.named.get('api'), scopes.unscoped, report);
 */
export function resolveRouteSettings(
  service: string,
  name: string,
  own: Map<RouteKey, Label>,
  unscoped: Map<RouteKey, Label>,
  report: Reporter,
): RouteSettings | undefined {
  const id = `${service}/${name}`;
  const labels = effectiveLabels(name, own, unscoped);
  const values: RouteValues = {};
  let valid = true;
  for (const [key, label] of labels) {
    const parsed = (ROUTE_KEYS[key] as Parser<unknown>)(label.value.trim());
    if (parsed.ok) {
      (values as Record<RouteKey, unknown>)[key] = parsed.value;
    } else {
      valid = false;
      report.error(
        'SG_ERR_LABEL_INVALID',
        label,
        `${label.key} must be ${parsed.expected}; route ${id} is not served`,
        id,
      );
    }
  }
  if (!labels.has('hosts')) {
    valid = false;
    const key = labelFor(name, 'hosts');
    report.error('SG_ERR_LABEL_MISSING', unsetLabel(key), `route ${id} has no hosts: set ${key}`, id);
  }
  const health = healthCheck(id, values, labels, own, report);
  const sticky = stickiness(id, values, own, report);
  if (!valid || values.hosts === undefined || health === undefined) return undefined;

  const settings: RouteSettings = {
    id,
    name,
    hosts: values.hosts,
    path: values.path ?? '/',
    stripPath: values['strip-path'] ?? false,
    sticky,
    balance: values.balance ?? 'least-requests',
    health,
    tls: values.tls ?? false,
    redirectHttps: values['redirect-https'] ?? false,
    labels,
  };
  if (values.priority !== undefined) settings.priority = values.priority;
  if (values['max-body-size'] !== undefined) settings.maxBodyBytes = values['max-body-size'];
  if (values.port !== undefined) settings.port = values.port;
  if (values.upstream !== undefined) settings.upstream = values.upstream;
  const network = labels.get('network');
  if (network !== undefined) settings.network = network;
  return settings;
}

function effectiveLabels(
  name: string,
  own: Map<RouteKey, Label>,
  unscoped: Map<RouteKey, Label>,
): Map<RouteKey, Label> {
  if (name === DEFAULT_ROUTE) return own;
  const labels = new Map(own);
  for (const [key, label] of unscoped) {
    if (!NOT_INHERITED.has(key) && !labels.has(key)) labels.set(key, label);
  }
  return labels;
}

/**
 * The active health check; undefined when its settings contradict each other (an error). Interval or
 * timeout without a path are warned about only where they are set (`own`): inherited ones are meant for
 * the routes that do have a health check.
 */
function healthCheck(
  id: string,
  values: RouteValues,
  labels: Map<RouteKey, Label>,
  own: Map<RouteKey, Label>,
  report: Reporter,
): HealthCheckConfig | null | undefined {
  const path = values['health.path'];
  if (path === undefined) {
    for (const key of ['health.interval', 'health.timeout'] as const) {
      const label = own.get(key);
      if (label === undefined) continue;
      report.warning(
        'SG_ERR_LABEL_UNUSED',
        label,
        `${label.key} has no effect on route ${id} without a health.path label (the active health check's path); it is ignored`,
      );
    }
    return null;
  }
  const intervalMs = values['health.interval'] ?? DEFAULT_HEALTH_INTERVAL_MS;
  const timeoutMs = values['health.timeout'] ?? DEFAULT_HEALTH_TIMEOUT_MS;
  if (timeoutMs > intervalMs) {
    const label = labels.get('health.timeout') ?? labels.get('health.interval')!;
    report.error(
      'SG_ERR_LABEL_INVALID',
      label,
      `health.timeout (${timeoutMs} ms) must not exceed health.interval (${intervalMs} ms); route ${id} is not served`,
      id,
    );
    return undefined;
  }
  return { path, intervalMs, timeoutMs };
}

/** Sticky settings; cookie name or max-age without `sticky=cookie` are warned about where they are set. */
function stickiness(
  id: string,
  values: RouteValues,
  own: Map<RouteKey, Label>,
  report: Reporter,
): RouteSettings['sticky'] {
  if (values.sticky === 'cookie') {
    const sticky: NonNullable<RouteSettings['sticky']> = {};
    if (values['sticky.cookie'] !== undefined) sticky.cookie = values['sticky.cookie'];
    if (values['sticky.max-age'] !== undefined) sticky.maxAge = values['sticky.max-age'];
    return sticky;
  }
  for (const key of ['sticky.cookie', 'sticky.max-age'] as const) {
    const label = own.get(key);
    if (label === undefined) continue;
    report.warning(
      'SG_ERR_LABEL_UNUSED',
      label,
      `${label.key} has no effect on route ${id} unless its sticky label is \`cookie\`; it is ignored`,
    );
  }
  return null;
}
