import { type CompiledTable, compileTable } from '../src/dataplane/compiled-table.js';
import { UpstreamRegistry } from '../src/dataplane/upstreams/upstream-registry.js';
import type { Backend, Route, RoutingTable } from '../src/routing/table.js';

const ROUTES = 1000;
const UPSTREAMS_PER_ROUTE = 5;
const REQUESTS = 4096;
const OPS_PER_RUN = 200_000;
const WARMUP_RUNS = 3;
const TIMED_RUNS = 9;

/** One measured case: medians over the timed runs, per operation. */
export interface RouterBenchCase {
  name: string;
  /** Wall-clock time. */
  nsPerOp: number;
  /** CPU time of this process: steadier than wall time on a shared machine. */
  cpuNsPerOp: number;
  opsPerSec: number;
}

/** Result of {@link benchRouter}. `nsPerOp` is the headline: match + select per request. */
export interface RouterBenchResult {
  name: string;
  nsPerOp: number;
  routes: number;
  upstreamsPerRoute: number;
  cases: RouterBenchCase[];
}

interface Request {
  host: string;
  path: string;
  cookie: string | undefined;
}

/**
 * Measures the request hot path of the data plane core on a compiled table of 1,000 routes
 * (exact hosts, wildcards, many paths on one host; half sticky, 5 upstreams each): `match`, `select`
 * with and without a valid sticky cookie, and both together.
 *
 * @example
 * const r = await benchRouter(); // { name: 'router 1000 routes', nsPerOp: 180, cases: [...] }
 */
export async function benchRouter(): Promise<RouterBenchResult> {
  const registry = new UpstreamRegistry({
    connectTimeoutMs: 1_000,
    upstreamTimeoutMs: 1_000,
    keepAliveTimeoutMs: 1_000,
    connectionsPerUpstream: 1,
    drainTimeoutMs: 30_000,
    passive: { maxFails: 3, failWindowMs: 10_000, baseBackoffMs: 1_000, maxBackoffMs: 30_000 },
  });
  try {
    const compiled = compileTable(syntheticTable(), registry, {
      role: 'run',
      stickySecret: Buffer.from('bench'),
    });
    const requests = syntheticRequests(compiled);
    const fresh = requests.map((r) => ({ ...r, cookie: undefined }));
    const cases: RouterBenchCase[] = [
      measure('match', requests, (r) => (compiled.match(r.host, r.path) ? 1 : 0)),
      measure('select (sticky cookie honoured)', requests, (r) =>
        compiled.match(r.host, r.path)!.route.select(r.cookie, true) ? 1 : 0,
      ),
      measure('match + select (new clients, balanced)', fresh, (r) =>
        compiled.match(r.host, r.path)?.route.select(r.cookie, true) ? 1 : 0,
      ),
      measure('match + select (mixed)', requests, (r) =>
        compiled.match(r.host, r.path)?.route.select(r.cookie, true) ? 1 : 0,
      ),
    ];
    return {
      name: `router ${ROUTES} routes`,
      nsPerOp: cases[cases.length - 1]!.nsPerOp,
      routes: ROUTES,
      upstreamsPerRoute: UPSTREAMS_PER_ROUTE,
      cases,
    };
  } finally {
    await registry.close();
  }
}

function measure(name: string, requests: Request[], op: (r: Request) => number): RouterBenchCase {
  const mask = requests.length - 1;
  let sink = 0;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < WARMUP_RUNS + TIMED_RUNS; run++) {
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let i = 0; i < OPS_PER_RUN; i++) sink += op(requests[i & mask]!);
    const wallNs = Number(process.hrtime.bigint() - start);
    const { user, system } = process.cpuUsage(cpuStart);
    if (run < WARMUP_RUNS) continue;
    wall.push(wallNs / OPS_PER_RUN);
    cpu.push(((user + system) * 1_000) / OPS_PER_RUN);
  }
  // Every request is built to match; a miss means the benchmark measures the wrong thing.
  if (sink !== OPS_PER_RUN * (WARMUP_RUNS + TIMED_RUNS))
    throw new Error(`${name}: some requests did not match`);
  const nsPerOp = median(wall);
  return { name, nsPerOp, cpuNsPerOp: median(cpu), opsPerSec: Math.round(1e9 / nsPerOp) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10;
}

/** 60% exact hosts with a path, 20% wildcards, 20% paths on one shared API host; every other route sticky. */
function syntheticTable(): RoutingTable {
  const routes: Route[] = [];
  const backends: Backend[] = [];
  for (let i = 0; i < ROUTES; i++) {
    const kind = i % 5;
    const hosts =
      kind < 3 ? [`svc${i}.example.com`] : kind === 3 ? [`*.t${i}.example.org`] : ['api.example.com'];
    const path = kind < 3 ? `/app${i % 7}` : kind === 3 ? '/' : `/v1/svc${i}`;
    routes.push({
      id: `svc${i}/default`,
      service: `svc${i}`,
      name: 'default',
      hosts,
      path,
      stripPath: kind === 4,
      priority: hosts[0]!.length * 1000 + path.length,
      backend: `svc${i}:task:80`,
      sticky: i % 2 === 0 ? { cookie: `sg_${i.toString(16).padStart(8, '0')}` } : null,
      balance: i % 3 === 0 ? 'round-robin' : 'least-requests',
      health: null,
      tls: false,
      redirectHttps: false,
    });
    backends.push({
      id: `svc${i}:task:80`,
      service: `svc${i}`,
      serviceId: `id${i}`,
      mode: 'task',
      port: 80,
      upstreams: Array.from({ length: UPSTREAMS_PER_ROUTE }, (_, u) => {
        const host = `10.${(i >> 8) & 255}.${i & 255}.${u + 2}`;
        return {
          id: `task:t${i}-${u}:80`,
          address: `${host}:80`,
          host,
          port: 80,
          node: `node${u}`,
          nodeHostname: `host${u}`,
          state: 'ready' as const,
        };
      }),
    });
  }
  return { version: 'bench', routes, backends, diagnostics: [] };
}

/** Requests spread over all routes, with realistic Host headers and, for sticky routes, a valid pin. */
function syntheticRequests(compiled: CompiledTable): Request[] {
  const requests: Request[] = [];
  for (let n = 0; n < REQUESTS; n++) {
    const compiledRoute = compiled.routes[(n * 7919) % ROUTES]!;
    const { hosts, path, sticky } = compiledRoute.route;
    const name = hosts[0]!.startsWith('*.') ? `tenant${n % 50}${hosts[0]!.slice(1)}` : hosts[0]!;
    // Browsers omit default ports; one request in four names a port, as clients of a non-default entry do.
    const host = n % 4 === 0 ? `${name}:8443` : name;
    const target = `${path === '/' ? '' : path}/items/${n}?page=${n % 9}`;
    const pin = sticky ? compiledRoute.select(undefined, true)?.setCookie?.split(';')[0] : undefined;
    requests.push({ host, path: target, cookie: pin ? `_ga=GA1.2.3; ${pin}; theme=dark` : undefined });
  }
  return requests;
}
