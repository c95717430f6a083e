import type { NetworkInfo, NodeInfo, ServiceInfo, SwarmSnapshot, TaskInfo } from '../discovery/snapshot.js';
import { compareStrings, sortById } from './order.js';
import type { TranslateContext } from './table.js';

/**
 * Lookups over one snapshot, built once per translation so that per-route work is O(1) per task.
 * Only what can carry traffic is indexed: tasks that are `running` on a known node that is `ready`
 * or `unknown`, of a service that still exists. A newly elected leader reports every node `unknown`
 * for a few seconds; dropping their tasks would empty the table on every manager restart. A node
 * that is really gone turns `down` within the dispatcher heartbeat, and passive health covers the gap.
 */
export class SnapshotIndex {
  readonly services: ServiceInfo[];
  readonly nodes: ReadonlyMap<string, NodeInfo>;
  readonly networks: ReadonlyMap<string, NetworkInfo>;
  /** Nodes the routing mesh can be reached on: `ready` and `active`, sorted by id. */
  readonly meshNodes: NodeInfo[];
  /** Ids of the non-ingress networks the gateway is attached to. */
  readonly gatewayNetworks: ReadonlySet<string>;
  readonly #liveTasks = new Map<string, TaskInfo[]>();
  readonly #taskNetworks = new Map<ServiceInfo, readonly NetworkInfo[]>();

  constructor(snapshot: SwarmSnapshot, context: TranslateContext) {
    this.services = [...snapshot.services].sort(
      (a, b) => compareStrings(a.name, b.name) || compareStrings(a.id, b.id),
    );
    this.nodes = new Map(snapshot.nodes.map((n) => [n.id, n]));
    this.networks = new Map(snapshot.networks.map((n) => [n.id, n]));
    this.meshNodes = sortById(
      snapshot.nodes.filter((n) => n.state === 'ready' && n.availability === 'active'),
    );
    const wanted = new Set(context.networks);
    this.gatewayNetworks = new Set(
      snapshot.networks
        .filter((n) => !n.ingress && (wanted.has(n.id) || wanted.has(n.name)))
        .map((n) => n.id),
    );
    const serviceIds = new Set(snapshot.services.map((s) => s.id));
    for (const task of snapshot.tasks) {
      if (task.state !== 'running' || !serviceIds.has(task.serviceId)) continue;
      const nodeState = this.nodes.get(task.nodeId)?.state;
      if (nodeState !== 'ready' && nodeState !== 'unknown') continue;
      const list = this.#liveTasks.get(task.serviceId);
      if (list === undefined) this.#liveTasks.set(task.serviceId, [task]);
      else list.push(task);
    }
  }

  /** The service's tasks that are running on a ready (or not yet re-confirmed) node, in no particular order. */
  liveTasks(serviceId: string): readonly TaskInfo[] {
    return this.#liveTasks.get(serviceId) ?? [];
  }

  /** The service's networks a task-mode upstream could use: known, non-ingress, sorted by id. */
  taskNetworks(service: ServiceInfo): readonly NetworkInfo[] {
    // Asked once per route and per network label: worked out once per service.
    let networks = this.#taskNetworks.get(service);
    if (networks === undefined) {
      const usable: NetworkInfo[] = [];
      for (const id of service.networks) {
        const network = this.networks.get(id);
        if (network !== undefined && !network.ingress) usable.push(network);
      }
      networks = sortById(usable);
      this.#taskNetworks.set(service, networks);
    }
    return networks;
  }
}
