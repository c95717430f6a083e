import type { UpstreamRegistryOptions } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import type { Backend, Route, RoutingTable, Upstream } from '../../../../src/routing/table.js';

/** Builders for routing tables in data plane tests; each fills the fields a test does not care about. */

export function upstream(id: string, fields: Partial<Upstream> = {}): Upstream {
  const host = fields.host ?? '127.0.0.1';
  const port = fields.port ?? 9;
  return {
    id,
    host,
    port,
    address: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    node: 'node1',
    nodeHostname: 'node1',
    state: 'ready',
    ...fields,
  };
}

export function backend(id: string, upstreams: Upstream[]): Backend {
  return { id, service: id.split(':')[0] ?? id, serviceId: `svc-${id}`, mode: 'task', port: 80, upstreams };
}

export function route(id: string, backendId: string, fields: Partial<Route> = {}): Route {
  const [service = id, name = 'default'] = id.split('/');
  return {
    id,
    service,
    name,
    hosts: ['app.example.com'],
    path: '/',
    stripPath: false,
    priority: 0,
    backend: backendId,
    sticky: null,
    balance: 'least-requests',
    health: null,
    tls: false,
    redirectHttps: false,
    ...fields,
  };
}

export function table(routes: Route[], backends: Backend[], version = 'v1'): RoutingTable {
  return { version, routes, backends, diagnostics: [] };
}

/** A manual clock for registries. */
export class ManualClock {
  ms = 1_000_000;
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Registry options with short timeouts, overridable per test. */
export function registryOptions(overrides: Partial<UpstreamRegistryOptions> = {}): UpstreamRegistryOptions {
  return {
    connectTimeoutMs: 2_000,
    upstreamTimeoutMs: 5_000,
    keepAliveTimeoutMs: 4_000,
    connectionsPerUpstream: 8,
    drainTimeoutMs: 30_000,
    passive: { maxFails: 3, failWindowMs: 10_000, baseBackoffMs: 1_000, maxBackoffMs: 8_000 },
    ...overrides,
  };
}
