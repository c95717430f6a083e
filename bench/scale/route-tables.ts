import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Backend, Route, RoutingTable } from '../../src/routing/table.js';
import { benchHost } from '../macro/http-probe.js';

/**
 * The host of route `i` of a large table. Route 0 is the bench host, so a gateway's start-up probe (and
 * the macro benchmark's checks) find a route.
 */
export const routeHost = (i: number): string => (i === 0 ? benchHost : `r${i}.scale.swarmgate.test`);

/**
 * A swarmgate table of `routes` routes, one host each, each to its own backend of the `ports` given (one
 * upstream per port, host-port mode, as the macro bench's table). Two calls with ports that differ in one
 * entry give two tables that differ in one upstream of every backend, as a rolling update of all services.
 */
export function largeTable(routes: number, ports: number[]): RoutingTable {
  const backends: Backend[] = [];
  const routeList: Route[] = [];
  for (let i = 0; i < routes; i++) {
    const id = `svc${i}:hostport:80`;
    backends.push({
      id,
      service: `svc${i}`,
      serviceId: `service${i}`,
      mode: 'hostport',
      port: 80,
      upstreams: ports.map((port, slot) => ({
        id: `task:svc${i}-task-${port}:${port}`,
        address: `127.0.0.1:${port}`,
        host: '127.0.0.1',
        port,
        task: `svc${i}-task-${port}`,
        slot: slot + 1,
        node: 'bench-node',
        nodeHostname: hostname(),
        state: 'ready',
      })),
    });
    routeList.push({
      id: `svc${i}/default`,
      service: `svc${i}`,
      name: 'default',
      hosts: [routeHost(i)],
      path: '/',
      stripPath: false,
      priority: 0,
      backend: id,
      sticky: null,
      balance: 'round-robin',
      health: null,
      tls: false,
      redirectHttps: false,
    });
  }
  const content = { routes: routeList, backends };
  const version = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16);
  return { version, ...content, diagnostics: [] };
}

/** The same table for nginx: an `upstream` block and a `server` block per route, for `nginxConfig`. */
export function largeNginxHttp(routes: number, ports: number[], listenPort: number): string {
  const lines = ['  server_names_hash_max_size 65536;', '  server_names_hash_bucket_size 128;'];
  for (let i = 0; i < routes; i++) {
    lines.push(
      `  upstream b${i} { ${ports.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 8; }`,
      `  server { listen 127.0.0.1:${listenPort}${i === 0 ? ' default_server backlog=4096' : ''}; ` +
        `server_name ${routeHost(i)}; location / { proxy_pass http://b${i}; proxy_set_header Connection ""; } }`,
    );
  }
  return lines.join('\n');
}
