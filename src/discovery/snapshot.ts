/**
 * A normalized picture of a swarm at one moment: only the fields routing needs, with stable shapes.
 * Produced from Engine API payloads by `snapshotFromEngine` (pure), consumed by `routing/translate`.
 * Arrays are sorted by id so that equal swarms give equal snapshots.
 */
export interface SwarmSnapshot {
  services: ServiceInfo[];
  tasks: TaskInfo[];
  nodes: NodeInfo[];
  networks: NetworkInfo[];
}

export type PublishMode = 'ingress' | 'host';

export interface PortSpec {
  protocol: 'tcp' | 'udp' | 'sctp';
  targetPort: number;
  /** Absent when the engine picks the port (host mode) and it is not known yet. */
  publishedPort?: number;
  publishMode: PublishMode;
}

export interface ServiceInfo {
  id: string;
  name: string;
  /** `Spec.Labels`: where swarmgate labels belong (`deploy.labels` in a stack file). */
  labels: Record<string, string>;
  /** `Spec.TaskTemplate.ContainerSpec.Labels` (`labels:` in a stack file): kept to diagnose misplaced labels. */
  containerLabels: Record<string, string>;
  mode: 'replicated' | 'global' | 'replicated-job' | 'global-job';
  /** Desired replicas for replicated services. */
  replicas?: number;
  endpointMode: 'vip' | 'dnsrr';
  /** `Spec.EndpointSpec.Ports` merged with `Endpoint.Ports` (which carries engine-assigned ports). */
  ports: PortSpec[];
  /** Network ids the service's tasks attach to. */
  networks: string[];
  /** `UpdateStatus.State`, e.g. `updating`, `completed`, `rollback_started`. */
  updateState?: string;
  /** Stack namespace label, for display. */
  stack?: string;
}

export interface TaskNetworkAttachment {
  networkId: string;
  /** IP addresses without prefix length. */
  addresses: string[];
}

export interface TaskHostPort {
  protocol: 'tcp' | 'udp' | 'sctp';
  targetPort: number;
  publishedPort: number;
}

export interface TaskInfo {
  id: string;
  serviceId: string;
  /** Replicated services only; global tasks have none. */
  slot?: number;
  nodeId: string;
  /** e.g. `running`, `shutdown`, `remove`. */
  desiredState: string;
  /** `Status.State`, e.g. `running`, `starting`, `preparing`, `shutdown`, `failed`. */
  state: string;
  containerId?: string;
  networks: TaskNetworkAttachment[];
  /** From `Status.PortStatus.Ports`: host-mode published ports on the task's node. */
  hostPorts: TaskHostPort[];
  /** ISO timestamp of the last status change; lets watchers report delays. */
  updatedAt?: string;
}

export interface NodeInfo {
  id: string;
  hostname: string;
  /** `Status.Addr` (for managers, `ManagerStatus.Addr` host part when Status.Addr is 0.0.0.0). */
  address: string;
  state: 'unknown' | 'down' | 'ready' | 'disconnected';
  availability: 'active' | 'pause' | 'drain';
  role: 'manager' | 'worker';
}

export interface NetworkInfo {
  id: string;
  name: string;
  driver: string;
  scope: string;
  /** The swarm ingress network (routing mesh), never a task-mode network. */
  ingress: boolean;
}
