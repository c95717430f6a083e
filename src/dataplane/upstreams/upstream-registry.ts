import type { HealthCheckConfig, RoutingTable, Upstream } from '../../routing/table.js';
import { ActiveHealthCheck } from './active-health.js';
import type { PassiveHealthOptions } from './passive-health.js';
import { type HandleSettings, RegisteredUpstream } from './registered-upstream.js';
import type { UpstreamHandle } from './upstream-handle.js';

export type { UpstreamFailure, UpstreamHandle, UpstreamHandleState } from './upstream-handle.js';

/** Connection, draining and health settings shared by every upstream. */
export interface UpstreamRegistryOptions {
  connectTimeoutMs: number;
  /** How long an upstream may stay silent: before its response head, or between body bytes. */
  upstreamTimeoutMs: number;
  keepAliveTimeoutMs: number;
  connectionsPerUpstream: number;
  /** Largest upstream response head (default 64 KiB); a larger one is a protocol error (502). */
  maxResponseHeadBytes?: number;
  /** How long a draining upstream keeps its existing sticky sessions. */
  drainTimeoutMs: number;
  passive: PassiveHealthOptions;
  /** Consecutive failed active checks before an upstream is marked down (default 2); one pass brings it back. */
  activeUnhealthyAfter?: number;
  /** Clock in ms (default `Date.now`); injectable for tests. */
  now?: () => number;
}

/**
 * Every upstream the data plane knows, keyed by `Upstream.id`. It outlives table swaps: a new table
 * updates the same handles, so in-flight counts, health and pools carry over.
 *
 * @example
 * const registry = new UpstreamRegistry(options);
 * registry.sync(table); // before compiling the table
 * registry.get('task:abc:8080')?.available();
 */
export class UpstreamRegistry {
  readonly #settings: HandleSettings;
  readonly #live = new Map<string, RegisteredUpstream>();
  /** Left the table, waiting for in-flight requests before their pools close. */
  readonly #retiring = new Map<string, RegisteredUpstream>();
  readonly #checks = new Map<string, ActiveHealthCheck>();
  readonly #closing = new Set<Promise<void>>();

  constructor(opts: UpstreamRegistryOptions) {
    this.#settings = {
      poolOptions: {
        connections: opts.connectionsPerUpstream,
        connectTimeoutMs: opts.connectTimeoutMs,
        timeoutMs: opts.upstreamTimeoutMs,
        keepAliveTimeoutMs: opts.keepAliveTimeoutMs,
        maxResponseHeadBytes: opts.maxResponseHeadBytes ?? 64 * 1024,
      },
      connectTimeoutMs: opts.connectTimeoutMs,
      drainTimeoutMs: opts.drainTimeoutMs,
      passive: opts.passive,
      activeUnhealthyAfter: opts.activeUnhealthyAfter ?? 2,
      now: opts.now ?? Date.now,
    };
  }

  /**
   * Brings the registry in line with a table: adds new upstreams, updates states (ready → draining
   * records `drainingSince`), retires vanished ones (their pools close once idle) and (re)starts active checks.
   * A compile split into slices calls its parts ({@link admit}, {@link syncChecks}, {@link retire}) apart.
   */
  sync(table: RoutingTable): void {
    const upstreams = UpstreamRegistry.upstreamsOf(table);
    this.admit(upstreams.values());
    this.syncChecks(table);
    this.retire(this.liveIds().filter((id) => !upstreams.has(id)));
  }

  /** A table's upstreams by id, each once: the first occurrence (backend order) wins. */
  static upstreamsOf(table: RoutingTable): Map<string, Upstream> {
    const seen = new Map<string, Upstream>();
    for (const backend of table.backends) {
      for (const upstream of backend.upstreams) if (!seen.has(upstream.id)) seen.set(upstream.id, upstream);
    }
    return seen;
  }

  /**
   * Adds or updates these upstreams (part of a table's {@link upstreamsOf}); one whose id now names
   * another address is retired and replaced. Upstreams that left the table stay until {@link retire}.
   */
  admit(upstreams: Iterable<Upstream>): void {
    for (const upstream of upstreams) {
      const live = this.#live.get(upstream.id);
      if (live !== undefined && live.address !== upstream.address) this.#retire(live);
      this.#admit(upstream);
    }
  }

  /** The ids of the live upstreams (not those retired and still finishing requests). */
  liveIds(): string[] {
    return [...this.#live.keys()];
  }

  /** Retires these live upstreams: they leave the registry once their running requests finish. */
  retire(ids: Iterable<string>): void {
    for (const id of ids) {
      const handle = this.#live.get(id);
      if (handle !== undefined) this.#retire(handle);
    }
  }

  /** The handle for an upstream id: live, or removed and still finishing requests. */
  get(id: string): UpstreamHandle | undefined {
    return this.#live.get(id) ?? this.#retiring.get(id);
  }

  /** All handles, live first, then removed ones still finishing requests. */
  *handles(): Iterable<UpstreamHandle> {
    yield* this.#live.values();
    yield* this.#retiring.values();
  }

  /** Stops health checks and closes every pool, letting running requests finish. */
  async close(): Promise<void> {
    for (const check of this.#checks.values()) check.stop();
    this.#checks.clear();
    const all = [...this.#live.values(), ...this.#retiring.values()];
    this.#live.clear();
    this.#retiring.clear();
    await Promise.all([...all.map((h) => h.close()), ...this.#closing]);
  }

  #admit(upstream: Upstream): void {
    const live = this.#live.get(upstream.id);
    const retiring = this.#retiring.get(upstream.id);
    if (live) {
      live.update(upstream);
    } else if (retiring?.address === upstream.address) {
      // Back before its pool closed (a flapping task): keep its counters and connections.
      this.#retiring.delete(upstream.id);
      this.#live.set(upstream.id, retiring);
      retiring.update(upstream);
    } else {
      this.#live.set(upstream.id, new RegisteredUpstream(upstream, this.#settings));
    }
  }

  #retire(handle: RegisteredUpstream): void {
    this.#live.delete(handle.id);
    this.#checks.get(handle.id)?.stop();
    this.#checks.delete(handle.id);
    // An older retiring handle with the same id (address changed twice) closes now; it is already idle or nearly.
    const older = this.#retiring.get(handle.id);
    if (older) this.#closePool(older);
    this.#retiring.set(handle.id, handle);
    handle.retire(() => {
      if (this.#retiring.get(handle.id) === handle) this.#retiring.delete(handle.id);
      this.#closePool(handle);
    });
  }

  #closePool(handle: RegisteredUpstream): void {
    const closing = handle.close().finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
  }

  /**
   * (Re)starts active checks for the table's live upstreams and stops the others: one check per
   * upstream; when several routes check the same backend, the first route (table order) decides.
   */
  syncChecks(table: RoutingTable): void {
    const wanted = new Map<string, HealthCheckConfig>();
    const backends = new Map(table.backends.map((b) => [b.id, b]));
    for (const route of table.routes) {
      if (route.health === null) continue;
      for (const upstream of backends.get(route.backend)?.upstreams ?? []) {
        if (!wanted.has(upstream.id)) wanted.set(upstream.id, route.health);
      }
    }
    for (const [id, check] of this.#checks) {
      const config = wanted.get(id);
      if (config && check.sameAs(config)) continue;
      check.stop();
      this.#checks.delete(id);
      if (!config) this.#live.get(id)?.clearActiveHealth();
    }
    for (const [id, config] of wanted) {
      const handle = this.#live.get(id);
      if (handle === undefined || this.#checks.has(id)) continue;
      const check = new ActiveHealthCheck(handle, config);
      this.#checks.set(id, check);
      check.start();
    }
  }
}
