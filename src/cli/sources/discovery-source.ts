import { EventEmitter } from 'node:events';
import type { EngineClient } from '../../discovery/engine-client.js';
import { detectSelfContainerId, findTaskByContainer, taskNetworks } from '../../discovery/self-container.js';
import type { SwarmSnapshot } from '../../discovery/snapshot.js';
import { type SnapshotMeta, SwarmWatcher, type SwarmWatcherOptions } from '../../discovery/swarm-watcher.js';
import type { RoutingTable, TranslateContext } from '../../routing/table.js';
import { translate } from '../../routing/translate.js';
import type { TableSource, TableSourceEvents } from './table-source.js';

export interface DiscoverySourceOptions extends SwarmWatcherOptions {
  role: TranslateContext['role'];
  /**
   * Networks this gateway can reach task IPs on. Undefined: when running as a swarm task, the task's
   * own overlay networks; otherwise none (the gateway is on a host and uses host ports or the mesh).
   */
  networks?: string[];
}

/**
 * Routing tables from a live swarm: watches the Engine API and translates every changed snapshot.
 *
 * @example
 * const source = new DiscoverySource(new EngineClient(resolveDockerEndpoint()), { role: 'run' });
 * source.on('table', (table) => gateway.setTable(table));
 * gateway.setTable(await source.start());
 */
export class DiscoverySource extends EventEmitter<TableSourceEvents> implements TableSource {
  readonly #client: EngineClient;
  readonly #watcher: SwarmWatcher;
  readonly #options: DiscoverySourceOptions;
  #selfContainer: string | undefined;
  #version: string | undefined;

  constructor(client: EngineClient, options: DiscoverySourceOptions) {
    super();
    this.#options = options;
    this.#client = client;
    this.#watcher = new SwarmWatcher(client, options);
  }

  async start(): Promise<RoutingTable> {
    if (this.#options.networks === undefined) this.#selfContainer = await detectSelfContainerId();
    const snapshot = await this.#watcher.start();
    const table = this.#translate(snapshot);
    this.#version = table.version;
    this.#watcher.on('snapshot', (next, meta) => this.#onSnapshot(next, meta));
    return table;
  }

  status(): unknown {
    return { source: 'docker', selfContainer: this.#selfContainer ?? null, ...this.#watcher.status };
  }

  /** Stops watching and closes the client, which this source owns. */
  async close(): Promise<void> {
    await this.#watcher.close();
    await this.#client.close();
  }

  #onSnapshot(snapshot: SwarmSnapshot, meta: SnapshotMeta): void {
    const table = this.#translate(snapshot);
    if (table.version === this.#version) return;
    this.#version = table.version;
    this.emit('table', table, {
      cause: meta.cause,
      ...(meta.eventTime ? { eventTime: meta.eventTime } : {}),
    });
  }

  #translate(snapshot: SwarmSnapshot): RoutingTable {
    return translate(snapshot, { role: this.#options.role, networks: this.#networks(snapshot) });
  }

  #networks(snapshot: SwarmSnapshot): string[] {
    if (this.#options.networks !== undefined) return this.#options.networks;
    const self = this.#selfContainer && findTaskByContainer(snapshot, this.#selfContainer);
    return self ? taskNetworks(snapshot, self) : [];
  }
}
