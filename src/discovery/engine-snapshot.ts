import type { z } from 'zod';
import {
  compare,
  type EngineNode,
  type EnginePort,
  type EngineService,
  type EngineTask,
  engineNetwork,
  engineNode,
  engineService,
  engineTask,
} from './engine-payloads.js';
import type {
  NetworkInfo,
  NodeInfo,
  PortSpec,
  ServiceInfo,
  SwarmSnapshot,
  TaskHostPort,
  TaskInfo,
  TaskNetworkAttachment,
} from './snapshot.js';

/** Raw Engine API list payloads, exactly as `GET /services?status=true`, `/tasks`, `/nodes`, `/networks` return them. */
export interface EngineLists {
  services: unknown[];
  tasks: unknown[];
  nodes: unknown[];
  networks: unknown[];
}

/** Task states after which a task never runs again; such tasks are history, not upstreams. */
const TERMINAL_TASK_STATES = new Set(['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned']);
/**
 * Tasks on a `down` node are stale: the managers gave up on the node. `unknown` is not enough: a new
 * leader marks every node unknown until its next heartbeat, so after each manager restart all tasks
 * would vanish for seconds (seen on the rig).
 */
const LOST_NODE_STATES = new Set<NodeInfo['state']>(['down']);

/**
 * Normalizes raw Engine API lists into a {@link SwarmSnapshot}. Pure and total: malformed entries are
 * skipped, never thrown on. Stale tasks are dropped: tasks of removed services, tasks without a node or
 * on a node that is down or not listed, and tasks in a terminal state (`shutdown`, `failed`, ...). Every
 * array is sorted, so equal swarms give deep-equal snapshots.
 *
 * @example
 * const snapshot = snapshotFromEngine({ services, tasks, nodes, networks });
 * snapshot.tasks.filter((t) => t.serviceId === snapshot.services[0]?.id);
 */
export function snapshotFromEngine(raw: EngineLists): SwarmSnapshot {
  const networks = parseAll(raw.networks, engineNetwork).map(toNetworkInfo).sort(byId);
  const nodes = parseAll(raw.nodes, engineNode).map(toNodeInfo).sort(byId);
  const networkIdByRef = networkResolver(networks);
  const services = parseAll(raw.services, engineService)
    .flatMap((s) => toServiceInfo(s, networkIdByRef))
    .sort(byId);

  const serviceIds = new Set(services.map((s) => s.id));
  const fixedHostPorts = new Map(services.map((s) => [s.id, fixedHostPortsOf(s)]));
  const nodeStates = new Map(nodes.map((n) => [n.id, n.state]));
  const tasks = parseAll(raw.tasks, engineTask)
    .filter((t) => serviceIds.has(t.ServiceID))
    .filter((t) => {
      const state = nodeStates.get(t.NodeID);
      return state !== undefined && !LOST_NODE_STATES.has(state);
    })
    .filter((t) => !TERMINAL_TASK_STATES.has(t.Status.State))
    .map((t) => toTaskInfo(t, fixedHostPorts.get(t.ServiceID) ?? []))
    .sort(byId);

  return { services, tasks, nodes, networks };
}

function parseAll<T extends z.ZodType>(items: unknown[], schema: T): z.output<T>[] {
  if (!Array.isArray(items)) return [];
  return items.flatMap((raw) => {
    const parsed = schema.safeParse(raw);
    return parsed.success ? [parsed.data as z.output<T>] : [];
  });
}

function toServiceInfo(s: EngineService, networkIdByRef: (ref: string) => string): ServiceInfo[] {
  const mode = serviceMode(s.Spec.Mode);
  if (mode === undefined) return [];
  const targets = s.Spec.TaskTemplate?.Networks.length ? s.Spec.TaskTemplate.Networks : s.Spec.Networks;
  const info: ServiceInfo = {
    id: s.ID,
    name: s.Spec.Name,
    labels: s.Spec.Labels,
    containerLabels: s.Spec.TaskTemplate?.ContainerSpec?.Labels ?? {},
    mode: mode.kind,
    endpointMode: s.Spec.EndpointSpec?.Mode ?? 'vip',
    ports: mergePorts(s.Spec.EndpointSpec?.Ports ?? [], s.Endpoint?.Ports ?? []),
    networks: uniqueSorted(targets.map((n) => networkIdByRef(n.Target))),
  };
  if (mode.replicas !== undefined) info.replicas = mode.replicas;
  if (s.UpdateStatus?.State) info.updateState = s.UpdateStatus.State;
  const stack = s.Spec.Labels['com.docker.stack.namespace'];
  if (stack) info.stack = stack;
  return [info];
}

function serviceMode(
  mode: EngineService['Spec']['Mode'],
): { kind: ServiceInfo['mode']; replicas?: number } | undefined {
  // The engine defaults a service without a mode to replicated.
  if (mode === undefined) return { kind: 'replicated' };
  if (mode.Replicated) {
    return mode.Replicated.Replicas === undefined
      ? { kind: 'replicated' }
      : { kind: 'replicated', replicas: mode.Replicated.Replicas };
  }
  if (mode.Global) return { kind: 'global' };
  if (mode.ReplicatedJob) return { kind: 'replicated-job' };
  if (mode.GlobalJob) return { kind: 'global-job' };
  return undefined;
}

/**
 * The spec says which ports the user asked for; `Endpoint.Ports` says what the engine assigned (the
 * published port of an ingress port left blank). Take the spec, fill in the assigned ports, and fall
 * back to the endpoint alone when the spec lists none.
 */
function mergePorts(specPorts: EnginePort[], endpointPorts: EnginePort[]): PortSpec[] {
  if (specPorts.length === 0) return sortPorts(endpointPorts.map(toPortSpec));
  const unused = [...endpointPorts];
  const merged = specPorts.map((spec) => {
    const wanted = positive(spec.PublishedPort);
    const index = unused.findIndex(
      (e) =>
        e.Protocol === spec.Protocol &&
        e.TargetPort === spec.TargetPort &&
        e.PublishMode === spec.PublishMode &&
        (wanted === undefined || positive(e.PublishedPort) === wanted),
    );
    const assigned = index >= 0 ? unused.splice(index, 1)[0] : undefined;
    return toPortSpec({ ...spec, PublishedPort: wanted ?? assigned?.PublishedPort });
  });
  return sortPorts(merged);
}

function toPortSpec(p: EnginePort): PortSpec {
  const spec: PortSpec = { protocol: p.Protocol, targetPort: p.TargetPort, publishMode: p.PublishMode };
  const published = positive(p.PublishedPort);
  if (published !== undefined) spec.publishedPort = published;
  return spec;
}

function sortPorts(ports: PortSpec[]): PortSpec[] {
  return ports.sort(
    (a, b) =>
      a.targetPort - b.targetPort ||
      compare(a.protocol, b.protocol) ||
      compare(a.publishMode, b.publishMode) ||
      (a.publishedPort ?? 0) - (b.publishedPort ?? 0),
  );
}

function toTaskInfo(t: EngineTask, serviceHostPorts: TaskHostPort[]): TaskInfo {
  const reported = hostPorts(t.Status.PortStatus?.Ports ?? []);
  const info: TaskInfo = {
    id: t.ID,
    serviceId: t.ServiceID,
    nodeId: t.NodeID,
    desiredState: t.DesiredState,
    state: t.Status.State,
    networks: t.NetworksAttachments.map(toAttachment).sort((a, b) => compare(a.networkId, b.networkId)),
    // After a manager restart the engine reports running tasks without their PortStatus (see
    // docs/discovery.md); a fixed host-mode port of the service is bound on the task's node all the same.
    hostPorts: reported.length === 0 && t.Status.State === 'running' ? serviceHostPorts : reported,
  };
  // Global tasks carry no slot (the engine leaves it 0).
  const slot = positive(t.Slot);
  if (slot !== undefined) info.slot = slot;
  if (t.Status.ContainerStatus?.ContainerID) info.containerId = t.Status.ContainerStatus.ContainerID;
  const updatedAt = t.UpdatedAt ?? t.Status.Timestamp;
  if (updatedAt) info.updatedAt = updatedAt;
  return info;
}

function toAttachment(a: EngineTask['NetworksAttachments'][number]): TaskNetworkAttachment {
  return { networkId: a.Network.ID, addresses: uniqueSorted(a.Addresses.map(stripPrefixLength)) };
}

/** The service's host-mode ports with a fixed published port: each of its tasks binds exactly these. */
function fixedHostPortsOf(service: ServiceInfo): TaskHostPort[] {
  return service.ports.flatMap((p) =>
    p.publishMode === 'host' && p.publishedPort !== undefined
      ? [{ protocol: p.protocol, targetPort: p.targetPort, publishedPort: p.publishedPort }]
      : [],
  );
}

/** Host-mode bindings; the engine lists each one twice when it binds both IPv4 and IPv6. */
function hostPorts(ports: EnginePort[]): TaskHostPort[] {
  const byKey = new Map<string, TaskHostPort>();
  for (const p of ports) {
    const published = positive(p.PublishedPort);
    if (p.PublishMode !== 'host' || published === undefined) continue;
    const port: TaskHostPort = { protocol: p.Protocol, targetPort: p.TargetPort, publishedPort: published };
    byKey.set(`${port.protocol}/${port.targetPort}/${port.publishedPort}`, port);
  }
  return [...byKey.values()].sort(
    (a, b) =>
      a.targetPort - b.targetPort || compare(a.protocol, b.protocol) || a.publishedPort - b.publishedPort,
  );
}

function toNodeInfo(n: EngineNode): NodeInfo {
  return {
    id: n.ID,
    hostname: n.Description?.Hostname ?? '',
    address: nodeAddress(n),
    state: n.Status.State,
    availability: n.Spec.Availability,
    role: n.Spec.Role,
  };
}

/** A manager may report `0.0.0.0` as its address; its raft address (`ManagerStatus.Addr`) is then the real one. */
function nodeAddress(n: EngineNode): string {
  const addr = n.Status.Addr ?? '';
  if (addr !== '' && addr !== '0.0.0.0') return addr;
  const managerAddr = n.ManagerStatus?.Addr;
  return managerAddr ? hostOf(managerAddr) : addr;
}

function toNetworkInfo(n: z.output<typeof engineNetwork>): NetworkInfo {
  return { id: n.Id, name: n.Name, driver: n.Driver, scope: n.Scope, ingress: n.Ingress };
}

/** Service specs name networks by id (the engine resolves names on create), but old specs may hold names. */
function networkResolver(networks: NetworkInfo[]): (ref: string) => string {
  const byName = new Map(networks.map((n) => [n.name, n.id]));
  const ids = new Set(networks.map((n) => n.id));
  return (ref) => (ids.has(ref) ? ref : (byName.get(ref) ?? ref));
}

/** `10.0.0.1:2377` → `10.0.0.1`, `[fd00::1]:2377` → `fd00::1`. */
function hostOf(hostPort: string): string {
  const colon = hostPort.lastIndexOf(':');
  const host = colon > 0 && !hostPort.endsWith(']') ? hostPort.slice(0, colon) : hostPort;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function stripPrefixLength(address: string): string {
  const slash = address.indexOf('/');
  return slash >= 0 ? address.slice(0, slash) : address;
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}

function uniqueSorted(values: string[]): string[] {
  return [...new Set(values)].sort(compare);
}

function byId(a: { id: string }, b: { id: string }): number {
  return compare(a.id, b.id);
}
