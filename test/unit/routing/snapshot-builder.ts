import type {
  NetworkInfo,
  NodeInfo,
  ServiceInfo,
  SwarmSnapshot,
  TaskInfo,
} from '../../../src/discovery/snapshot.js';
import type { TranslateContext } from '../../../src/routing/table.js';

/** Hand-built snapshots for routing unit tests: an overlay `app`, an overlay `other`, the ingress network, three nodes. */
export const NETWORKS: NetworkInfo[] = [
  { id: 'net-app', name: 'app', driver: 'overlay', scope: 'swarm', ingress: false },
  { id: 'net-other', name: 'other', driver: 'overlay', scope: 'swarm', ingress: false },
  { id: 'net-ingress', name: 'ingress', driver: 'overlay', scope: 'swarm', ingress: true },
];

export const NODES: NodeInfo[] = [1, 2, 3].map((n) => ({
  id: `node-${n}`,
  hostname: `host${n}`,
  address: `10.231.0.${10 + n}`,
  state: 'ready',
  availability: 'active',
  role: n === 1 ? 'manager' : 'worker',
}));

/** An ingress-tier gateway on network `app`. */
export const INGRESS: TranslateContext = { role: 'ingress', networks: ['app'] };
/** A border gateway on a host, on no overlay network. */
export const BORDER: TranslateContext = { role: 'border', networks: [] };

/** A replicated service on network `app`, publishing nothing unless `extra.ports` says so. */
export function service(
  name: string,
  labels: Record<string, string>,
  extra: Partial<ServiceInfo> = {},
): ServiceInfo {
  return {
    id: `id-${name}`,
    name,
    labels,
    containerLabels: {},
    mode: 'replicated',
    replicas: 1,
    endpointMode: 'dnsrr',
    ports: [],
    networks: ['net-app'],
    ...extra,
  };
}

/** Task `n` of `svc`, running on node-`n` (1–3) with address 10.232.1.`n` on `app`. */
export function task(svc: ServiceInfo, n: number, extra: Partial<TaskInfo> = {}): TaskInfo {
  return {
    id: `${svc.name}-t${n}`,
    serviceId: svc.id,
    slot: n,
    nodeId: `node-${((n - 1) % 3) + 1}`,
    desiredState: 'running',
    state: 'running',
    networks: [{ networkId: 'net-app', addresses: [`10.232.1.${n}`] }],
    hostPorts: [],
    ...extra,
  };
}

export function snapshot(
  services: ServiceInfo[],
  tasks: TaskInfo[] = [],
  more: Partial<SwarmSnapshot> = {},
): SwarmSnapshot {
  return { services, tasks, nodes: NODES, networks: NETWORKS, ...more };
}
