/**
 * The routing table: pure data, produced by `translate` and consumed by the data plane and the
 * controller API. Everything in it is JSON-serializable and deterministic, so `version` (a content hash)
 * identifies it.
 */
export interface RoutingTable {
  /** Content hash of routes + backends (not of diagnostics' order or of time). Same swarm state, same version. */
  version: string;
  routes: Route[];
  /** One backend per distinct (service, upstream mode, port, network); routes point at one by id. */
  backends: Backend[];
  diagnostics: Diagnostic[];
}

export type UpstreamMode = 'task' | 'hostport' | 'mesh';
export type BalancePolicy = 'round-robin' | 'least-requests';

export interface Route {
  /** `<service name>/<route name>`; the unscoped labels form route `default`. */
  id: string;
  service: string;
  name: string;
  /** Lower-case host names; `*.example.com` matches exactly one extra leading label. */
  hosts: string[];
  /** Path prefix, always starting with `/`, without trailing slash unless it is `/`. */
  path: string;
  stripPath: boolean;
  /** Higher wins. Defaults to a value derived from host and path length (see `routing/priority`). */
  priority: number;
  /** Id of the backend in `RoutingTable.backends`. */
  backend: string;
  sticky: StickyConfig | null;
  balance: BalancePolicy;
  health: HealthCheckConfig | null;
  tls: boolean;
  redirectHttps: boolean;
  /** Request body limit in bytes (`swarmgate.max-body-size`); absent: the gateway-wide limit applies. */
  maxBodyBytes?: number;
}

export interface StickyConfig {
  cookie: string;
  /** Seconds; absent for a session cookie. */
  maxAge?: number;
}

export interface HealthCheckConfig {
  path: string;
  intervalMs: number;
  timeoutMs: number;
}

export interface Backend {
  /** `<service name>:<mode>:<port>` plus `@<network>` in task mode. */
  id: string;
  service: string;
  serviceId: string;
  mode: UpstreamMode;
  /** The container (target) port; in hostport/mesh mode the published port differs per upstream. */
  port: number;
  /** Task mode: the network id upstream addresses are on. */
  network?: string;
  upstreams: Upstream[];
}

export type UpstreamState = 'ready' | 'draining';

export interface Upstream {
  /**
   * Stable identity across table versions: `task:<task id>@<address>` or `node:<node id>@<address>`
   * (mesh). The address is part of it, so one task reached two ways is two upstreams.
   */
  id: string;
  /** `host:port` (IPv6 hosts in brackets). */
  address: string;
  host: string;
  port: number;
  /** Task id (absent for mesh upstreams, which are nodes). */
  task?: string;
  slot?: number;
  /** Node id. */
  node: string;
  nodeHostname: string;
  state: UpstreamState;
}

export interface Diagnostic {
  code: import('../errors.js').ErrorCode;
  severity: 'error' | 'warning';
  service: string;
  /** The label concerned, e.g. `swarmgate.routes.api.port`; empty when it concerns the service as a whole. */
  label: string;
  value: string;
  /** Names the rule that was broken and what is expected. */
  message: string;
  /** The route that was dropped because of this diagnostic, if any. */
  route?: string;
}

/** Where the gateway that will use the table runs; decides the default upstream mode and cookie names. */
export interface TranslateContext {
  role: 'run' | 'border' | 'ingress';
  /**
   * Networks (ids or names) the gateway is attached to. Task mode is possible only on these.
   * Empty when the gateway runs outside the swarm's overlay networks (on a host).
   */
  networks: string[];
}
