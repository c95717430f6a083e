import fc from 'fast-check';
import type {
  NodeInfo,
  PortSpec,
  ServiceInfo,
  SwarmSnapshot,
  TaskInfo,
} from '../../../src/discovery/snapshot.js';
import type { TranslateContext } from '../../../src/routing/table.js';
import { NETWORKS } from './snapshot-builder.js';

/**
 * A label value from small pools, weighted so that most routes are valid yet invalid values, absent
 * labels and conflicting hosts all show up.
 */
function label(valid: string[], invalid: string[], absent: number): fc.Arbitrary<string | undefined> {
  const choices: fc.WeightedArbitrary<string | undefined>[] = [
    { arbitrary: fc.constantFrom(...valid), weight: 10 },
    { arbitrary: fc.constant(undefined), weight: absent },
  ];
  if (invalid.length > 0) choices.push({ arbitrary: fc.constantFrom(...invalid), weight: 1 });
  return fc.oneof(...choices);
}

const routeLabels = fc.record({
  hosts: label(
    ['a.example.com', 'b.example.com', '*.example.com', 'a.example.com,b.example.com'],
    ['bad host'],
    2,
  ),
  path: label(['/', '/api', '/api/'], ['no-slash'], 10),
  port: label(['80', '80', '8080'], ['http'], 3),
  upstream: label(['task', 'hostport', 'mesh'], [], 20),
  sticky: label(['cookie', 'none'], ['ip'], 10),
  network: label(['app', 'other'], ['ingress'], 20),
  priority: label(['5', '-1'], [], 20),
  'health.path': label(['/up'], [], 10),
  'health.timeout': label(['500ms'], ['1m'], 20),
});

const serviceLabels = fc
  .record({
    enable: label(['true', 'true', 'TRUE', 'false'], ['maybe'], 1),
    unscoped: routeLabels,
    api: fc.option(routeLabels, { nil: undefined }),
    unknown: fc.boolean(),
  })
  .map(({ enable, unscoped, api, unknown }) => {
    const labels: Record<string, string> = {};
    if (enable !== undefined) labels['swarmgate.enable'] = enable;
    for (const [key, value] of Object.entries(unscoped))
      if (value !== undefined) labels[`swarmgate.${key}`] = value;
    for (const [key, value] of Object.entries(api ?? {}))
      if (value !== undefined) labels[`swarmgate.routes.api.${key}`] = value;
    if (unknown) labels['swarmgate.weight'] = '1';
    return labels;
  });

const PORTS: PortSpec[] = [
  { protocol: 'tcp', targetPort: 80, publishMode: 'host' },
  { protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'ingress' },
  { protocol: 'tcp', targetPort: 8080, publishMode: 'host' },
];

const nodeArb = (id: number) =>
  fc.record({
    id: fc.constant(`node-${id}`),
    hostname: fc.constant(`host${id}`),
    address: fc.constantFrom(`10.231.0.${10 + id}`, `fd00::${id}`),
    state: fc.constantFrom<NodeInfo['state'][]>('ready', 'ready', 'down', 'unknown'),
    availability: fc.constantFrom<NodeInfo['availability'][]>('active', 'active', 'drain', 'pause'),
    role: fc.constantFrom<NodeInfo['role'][]>('manager', 'worker'),
  });

function taskArb(service: number, n: number): fc.Arbitrary<TaskInfo> {
  return fc.record({
    id: fc.constant(`s${service}-t${n}`),
    serviceId: fc.constantFrom(`id-s${service}`, `id-s${service}`, 'id-removed'),
    slot: fc.constant(n + 1),
    nodeId: fc.constantFrom('node-0', 'node-1', 'node-2', 'node-gone'),
    desiredState: fc.constantFrom('running', 'running', 'shutdown'),
    state: fc.constantFrom('running', 'running', 'starting', 'shutdown'),
    networks: fc.constant([
      { networkId: 'net-app', addresses: [`10.232.${service}.${n}`] },
      { networkId: 'net-other', addresses: [`10.233.${service}.${n}`] },
    ]),
    hostPorts: fc.subarray([
      { protocol: 'tcp' as const, targetPort: 80, publishedPort: 30_000 + n },
      { protocol: 'tcp' as const, targetPort: 8080, publishedPort: 31_000 + n },
    ]),
  });
}

function serviceArb(index: number): fc.Arbitrary<{ service: ServiceInfo; tasks: TaskInfo[] }> {
  return fc
    .record({
      labels: serviceLabels,
      containerLabels: fc.constantFrom<Record<string, string>[]>({}, {}, {}, { 'swarmgate.enable': 'true' }),
      ports: fc.subarray(PORTS),
      networks: fc.subarray(['net-app', 'net-other', 'net-ingress'], { minLength: 1 }),
      tasks: fc
        .integer({ min: 0, max: 4 })
        .chain((count) => fc.tuple(...Array.from({ length: count }, (_, n) => taskArb(index, n)))),
    })
    .map(({ labels, containerLabels, ports, networks, tasks }) => ({
      service: {
        id: `id-s${index}`,
        name: `s${index}`,
        labels,
        containerLabels,
        mode: 'replicated',
        replicas: tasks.length,
        endpointMode: 'dnsrr',
        ports,
        networks,
      },
      tasks,
    }));
}

/** A random swarm of up to 6 services, their tasks (some stale), 3 nodes and the test networks. */
export const snapshotArb: fc.Arbitrary<SwarmSnapshot> = fc
  .tuple(
    fc
      .integer({ min: 1, max: 6 })
      .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => serviceArb(i)))),
    fc.tuple(nodeArb(0), nodeArb(1), nodeArb(2)),
  )
  .map(([services, nodes]) => ({
    services: services.map((s) => s.service),
    tasks: services.flatMap((s) => s.tasks),
    nodes,
    networks: NETWORKS,
  }));

/** A gateway context: any role, attached to some of the test networks (by name or id). */
export const contextArb: fc.Arbitrary<TranslateContext> = fc.record({
  role: fc.constantFrom('run', 'border', 'ingress'),
  networks: fc.subarray(['app', 'net-other', 'ingress']),
});

/** The same swarm listed in another order: every array and every label object reshuffled. */
export function permutationArb(snapshot: SwarmSnapshot): fc.Arbitrary<SwarmSnapshot> {
  const shuffled = <T>(items: T[]) => fc.shuffledSubarray(items, { minLength: items.length });
  const shuffledRecord = (record: Record<string, string>) =>
    shuffled(Object.entries(record)).map((entries) => Object.fromEntries(entries));
  const service = (s: ServiceInfo) =>
    fc
      .record({ labels: shuffledRecord(s.labels), networks: shuffled(s.networks), ports: shuffled(s.ports) })
      .map((parts) => ({ ...s, ...parts }));
  const task = (t: TaskInfo) =>
    fc
      .record({ networks: shuffled(t.networks), hostPorts: shuffled(t.hostPorts) })
      .map((parts) => ({ ...t, ...parts }));
  return fc.record({
    services: fc.tuple(...snapshot.services.map(service)).chain(shuffled),
    tasks: fc.tuple(...snapshot.tasks.map(task)).chain(shuffled),
    nodes: shuffled(snapshot.nodes),
    networks: shuffled(snapshot.networks),
  });
}
