import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type {
  NetworkInfo,
  NodeInfo,
  ServiceInfo,
  SwarmSnapshot,
  TaskInfo,
} from '../src/discovery/snapshot.js';
import type { RoutingTable, TranslateContext } from '../src/routing/table.js';
import { translate } from '../src/routing/translate.js';

const SERVICES = 1000;
const TASKS_PER_SERVICE = 5;
const NODES = 20;
const WARMUP_RUNS = 5;
const TIMED_RUNS = 20;

/** Result of {@link benchTranslate}: times in milliseconds, memory in MiB. */
export interface TranslateBenchResult {
  name: string;
  /** Median wall time of one `translate` call. */
  ms: number;
  /** Median CPU time (user + system) of one call: steadier than wall time on a busy machine. */
  cpuMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
  /** Heap retained by one resulting table (measured after a full GC). */
  heapMiB: number;
  /** Size of the table as JSON, as the controller would serve it. */
  jsonMiB: number;
  routes: number;
  upstreams: number;
  diagnostics: number;
}

/**
 * Times `translate` on a synthetic swarm of 1,000 services × 5 tasks (sticky, health-checked, some
 * with a second named route, a few with bad labels, one task in five draining) and measures the heap
 * the resulting table keeps alive.
 *
 * @example
 * const r = await benchTranslate(); // { name: 'translate 1000 services x 5 tasks', ms: 9.1, heapMiB: 4.2, ... }
 */
export async function benchTranslate(): Promise<TranslateBenchResult> {
  const snapshot = syntheticSnapshot();
  const context: TranslateContext = { role: 'ingress', networks: ['proxy'] };
  for (let i = 0; i < WARMUP_RUNS; i++) translate(snapshot, context);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let table: RoutingTable | undefined;
  for (let i = 0; i < TIMED_RUNS; i++) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    table = translate(snapshot, context);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    const used = process.cpuUsage(cpu);
    cpuTimes.push((used.user + used.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpuTimes.sort((a, b) => a - b);
  const heapMiB = retainedMiB(() => translate(snapshot, context));
  const result = table!;
  return {
    name: `translate ${SERVICES} services x ${TASKS_PER_SERVICE} tasks`,
    ms: round(median(times)),
    cpuMs: round(median(cpuTimes)),
    minMs: round(times[0]!),
    maxMs: round(times[times.length - 1]!),
    runs: TIMED_RUNS,
    heapMiB: round(heapMiB),
    jsonMiB: round(Buffer.byteLength(JSON.stringify(result)) / 2 ** 20),
    routes: result.routes.length,
    upstreams: result.backends.reduce((n, b) => n + b.upstreams.length, 0),
    diagnostics: result.diagnostics.length,
  };
}

/** Heap growth, after full collections, caused by keeping what `make` returns. */
function retainedMiB(make: () => unknown): number {
  const gc = exposeGc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = make();
  gc();
  const after = process.memoryUsage().heapUsed;
  // Keeps `kept` alive until after the second measurement.
  if (kept === undefined) throw new Error('nothing to measure');
  return (after - before) / 2 ** 20;
}

/** `global.gc` without requiring `--expose-gc` on the command line. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** A swarm of `SERVICES` web services with `TASKS_PER_SERVICE` tasks each, on `NODES` nodes. */
export function syntheticSnapshot(): SwarmSnapshot {
  const networks: NetworkInfo[] = [
    { id: 'n-proxy', name: 'proxy', driver: 'overlay', scope: 'swarm', ingress: false },
    { id: 'n-ingress', name: 'ingress', driver: 'overlay', scope: 'swarm', ingress: true },
  ];
  const nodes: NodeInfo[] = Array.from({ length: NODES }, (_, i) => ({
    id: `node-${i}`,
    hostname: `host-${i}`,
    address: `10.0.0.${i + 10}`,
    state: 'ready',
    availability: 'active',
    role: i < 3 ? 'manager' : 'worker',
  }));
  const services: ServiceInfo[] = [];
  const tasks: TaskInfo[] = [];
  for (let s = 0; s < SERVICES; s++) {
    const name = `app${s}_web`;
    const labels: Record<string, string> = {
      'swarmgate.enable': 'true',
      'swarmgate.hosts': `app${s}.example.com,www.app${s}.example.com`,
      'swarmgate.sticky': 'cookie',
      'swarmgate.sticky.max-age': '12h',
      'swarmgate.health.path': '/healthz',
    };
    if (s % 4 === 0) {
      labels['swarmgate.routes.api.hosts'] = `api.app${s}.example.com`;
      labels['swarmgate.routes.api.path'] = '/v1/';
    }
    if (s % 50 === 0) labels['swarmgate.routes.bad.port'] = 'http';
    services.push({
      id: `svc-${s}`,
      name,
      labels,
      containerLabels: {},
      mode: 'replicated',
      replicas: TASKS_PER_SERVICE,
      endpointMode: 'dnsrr',
      ports: [{ protocol: 'tcp', targetPort: 8080, publishMode: 'host' }],
      networks: ['n-proxy'],
      stack: `app${s}`,
    });
    for (let t = 0; t < TASKS_PER_SERVICE; t++) {
      const n = s * TASKS_PER_SERVICE + t;
      tasks.push({
        id: `task-${n}`,
        serviceId: `svc-${s}`,
        slot: t + 1,
        nodeId: `node-${n % NODES}`,
        desiredState: t === 0 ? 'shutdown' : 'running',
        state: 'running',
        networks: [{ networkId: 'n-proxy', addresses: [`10.232.${n >> 8}.${n & 255}`] }],
        hostPorts: [{ protocol: 'tcp', targetPort: 8080, publishedPort: 30000 + t }],
      });
    }
  }
  return { services, tasks, nodes, networks };
}

function median(sorted: number[]): number {
  return sorted[Math.floor(sorted.length / 2)]!;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
