/** A node of the rig, as rig.sh describes it in rig.json. */
export interface RigNode {
  index: number;
  name: string;
  hostname: string;
  /** Address on the rig bridge, reachable from the root namespace. */
  ip: string;
  /** Unix socket of this node's dockerd. */
  socket: string;
  role: 'manager' | 'worker';
  netns: string;
}

/** A swarm task, with what tests reach it by. */
export interface RigTask {
  id: string;
  /** What `{{.Task.Name}}` renders to: service.slot.id (service.nodeId.id for global services). */
  name: string;
  slot: number | undefined;
  /** The node it is scheduled on; undefined while unassigned. */
  node: RigNode | undefined;
  state: string;
  desiredState: string;
  containerId: string | undefined;
  /** Overlay addresses by network name, without prefix length. */
  addresses: Record<string, string>;
  /** Host-mode published ports, from the task's PortStatus. */
  ports: { target: number; published: number; protocol: string }[];
}

/** The part of an Engine API task (`docker inspect --type task`) that the rig reads. */
interface EngineTask {
  ID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState: string;
  Status: {
    State: string;
    ContainerStatus?: { ContainerID?: string };
    PortStatus?: { Ports?: { Protocol: string; TargetPort: number; PublishedPort: number }[] };
  };
  NetworksAttachments?: { Network: { Spec: { Name: string } }; Addresses?: string[] }[];
}

/** Turns `docker inspect --type task` output into RigTasks; nodeOf maps a swarm node ID to a rig node. */
export function parseTasks(
  json: string,
  service: string,
  nodeOf: (id: string) => RigNode | undefined,
): RigTask[] {
  return (JSON.parse(json) as EngineTask[]).map((t) => {
    const addresses: Record<string, string> = {};
    for (const a of t.NetworksAttachments ?? []) {
      const first = a.Addresses?.[0];
      if (first) addresses[a.Network.Spec.Name] = first.split('/')[0] ?? first;
    }
    const ports = new Map<string, RigTask['ports'][number]>();
    // The engine reports a host-mode port once per address family; one entry each is enough.
    for (const p of t.Status.PortStatus?.Ports ?? []) {
      ports.set(`${p.Protocol}/${p.TargetPort}`, {
        target: p.TargetPort,
        published: p.PublishedPort,
        protocol: p.Protocol,
      });
    }
    return {
      id: t.ID,
      name: `${service}.${t.Slot || t.NodeID}.${t.ID}`,
      slot: t.Slot || undefined,
      node: t.NodeID ? nodeOf(t.NodeID) : undefined,
      state: t.Status.State,
      desiredState: t.DesiredState,
      containerId: t.Status.ContainerStatus?.ContainerID || undefined,
      addresses,
      ports: [...ports.values()],
    };
  });
}
