import type { NodeInfo, TaskInfo } from '../discovery/snapshot.js';
import { sortById } from './order.js';
import type { SnapshotIndex } from './snapshot-index.js';
import type { Upstream } from './table.js';
import type { UpstreamTarget } from './upstream-target.js';

/**
 * The upstreams of one backend, sorted by id. Task and hostport modes use the service's live tasks
 * (running on a ready node): a task whose desired state is no longer `running` is `draining`. Mesh
 * mode uses every ready, active node on the routing mesh's published port.
 *
 * @example
 * buildUpstreams({ mode: 'task', port: 80, network }, 'svc-id', index);
 * // [{ id: 'task:t1@10.232.1.5:80', address: '10.232.1.5:80', ... }]
 */
export function buildUpstreams(target: UpstreamTarget, serviceId: string, index: SnapshotIndex): Upstream[] {
  if (target.mode === 'mesh') {
    const port = target.meshPort!;
    return index.meshNodes
      .filter((node) => usableNodeAddress(node.address))
      .map((node) => ({
        id: `node:${node.id}@${hostPort(node.address, port)}`,
        address: hostPort(node.address, port),
        host: node.address,
        port,
        node: node.id,
        nodeHostname: node.hostname,
        state: 'ready' as const,
      }));
  }
  const upstreams: Upstream[] = [];
  for (const task of index.liveTasks(serviceId)) {
    const node = index.nodes.get(task.nodeId)!;
    if (target.mode === 'task') {
      const host = taskAddress(task, target.network!.id);
      if (host !== undefined) upstreams.push(taskUpstream(task, node, host, target.port));
    } else {
      const port = hostPublishedPort(task, target.port);
      if (port !== undefined && usableNodeAddress(node.address))
        upstreams.push(taskUpstream(task, node, node.address, port));
    }
  }
  return sortById(upstreams);
}

/** The task's first address on `networkId`. */
function taskAddress(task: TaskInfo, networkId: string): string | undefined {
  for (const attachment of task.networks) {
    if (attachment.networkId === networkId) return attachment.addresses[0];
  }
  return undefined;
}

/** The node port the task publishes `targetPort` on in host mode. */
function hostPublishedPort(task: TaskInfo, targetPort: number): number | undefined {
  for (const p of task.hostPorts) {
    if (p.protocol === 'tcp' && p.targetPort === targetPort) return p.publishedPort;
  }
  return undefined;
}

function taskUpstream(task: TaskInfo, node: NodeInfo, host: string, port: number): Upstream {
  const address = hostPort(host, port);
  // The address is part of the identity: one task reached on two networks, or by task IP and by host
  // port, is two upstreams with their own pools and health.
  const id = `task:${task.id}@${address}`;
  const state = task.desiredState === 'running' ? 'ready' : 'draining';
  // Two literals rather than a conditional spread: same key order, and every upstream of a kind shares
  // one object shape, which keeps serializing the table fast.
  return task.slot === undefined
    ? { id, address, host, port, task: task.id, node: node.id, nodeHostname: node.hostname, state }
    : {
        id,
        address,
        host,
        port,
        task: task.id,
        slot: task.slot,
        node: node.id,
        nodeHostname: node.hostname,
        state,
      };
}

function usableNodeAddress(address: string): boolean {
  return address !== '' && address !== '0.0.0.0';
}

/** `host:port`, with IPv6 hosts in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
