import { Pool } from 'undici';
import type { Upstream } from '../../routing/table.js';
import { publishHealth } from './health-channel.js';
import { PassiveHealth, type PassiveHealthOptions } from './passive-health.js';
import type { UpstreamFailure, UpstreamHandle, UpstreamHandleState } from './upstream-handle.js';

/** What every handle of one registry shares. */
export interface HandleSettings {
  poolOptions: Pool.Options;
  drainTimeoutMs: number;
  passive: PassiveHealthOptions;
  /** Consecutive failed active checks before the upstream is marked down. */
  activeUnhealthyAfter: number;
  now: () => number;
}

/** The registry's implementation of {@link UpstreamHandle}; only the registry changes its lifecycle. */
export class RegisteredUpstream implements UpstreamHandle {
  readonly id: string;
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly #settings: HandleSettings;
  readonly #passive: PassiveHealth;
  #upstream: Upstream;
  #state: UpstreamHandleState;
  #drainingSince: number | undefined;
  #inflight = 0;
  #pool: Pool | undefined;
  #activeFails = 0;
  #activeHealthy = true;
  #onIdle: (() => void) | undefined;

  constructor(upstream: Upstream, settings: HandleSettings) {
    this.id = upstream.id;
    this.address = upstream.address;
    this.host = upstream.host;
    this.port = upstream.port;
    this.#settings = settings;
    this.#passive = new PassiveHealth(settings.passive);
    this.#upstream = upstream;
    this.#state = 'ready';
    this.update(upstream);
  }

  get upstream(): Upstream {
    return this.#upstream;
  }

  get state(): UpstreamHandleState {
    return this.#state;
  }

  get drainingSince(): number | undefined {
    return this.#drainingSince;
  }

  get inflight(): number {
    return this.#inflight;
  }

  get healthy(): boolean {
    return this.#activeHealthy && !this.#passive.isDown(this.#settings.now);
  }

  get pool(): Pool {
    this.#pool ??= new Pool(`http://${this.address}`, this.#settings.poolOptions);
    return this.#pool;
  }

  available(): boolean {
    return this.#state === 'ready' && this.healthy;
  }

  stickyUsable(now?: number, drainTimeoutMs = this.#settings.drainTimeoutMs): boolean {
    if (this.#state === 'removed') return false;
    if (this.#state === 'draining') {
      const since = this.#drainingSince ?? 0;
      if ((now ?? this.#settings.now()) - since >= drainTimeoutMs) return false;
    }
    return this.healthy;
  }

  requestStarted(): void {
    this.#inflight += 1;
    this.#passive.requestStarted(this.#settings.now());
  }

  requestFinished(): void {
    this.#inflight -= 1;
    this.#passive.requestFinished();
    if (this.#inflight === 0) this.#onIdle?.();
  }

  reportFailure(kind: UpstreamFailure): void {
    if (this.#passive.failure(kind === 'connect', this.#settings.now())) {
      publishHealth(this, false, 'passive', kind);
    }
  }

  reportSuccess(): void {
    if (this.#passive.success(this.#settings.now())) publishHealth(this, true, 'passive', 'success');
  }

  /** Takes the latest table data; tracks when draining started. */
  update(upstream: Upstream): void {
    this.#upstream = upstream;
    this.#onIdle = undefined;
    if (upstream.state === 'draining') {
      if (this.#state !== 'draining') this.#drainingSince = this.#settings.now();
    } else {
      this.#drainingSince = undefined;
    }
    this.#state = upstream.state;
  }

  /** Records one active check result; returns nothing, publishes transitions. */
  recordActiveCheck(ok: boolean, reason: string): void {
    this.#activeFails = ok ? 0 : this.#activeFails + 1;
    const healthy = ok || (this.#activeHealthy && this.#activeFails < this.#settings.activeUnhealthyAfter);
    if (healthy === this.#activeHealthy) return;
    this.#activeHealthy = healthy;
    publishHealth(this, healthy, 'active', reason);
  }

  /** Forgets active health (the route lost its check). */
  clearActiveHealth(): void {
    this.#activeFails = 0;
    this.#activeHealthy = true;
  }

  /** Leaves the table: no new requests; `onIdle` runs once nothing is in flight (at once if already idle). */
  retire(onIdle: () => void): void {
    this.#state = 'removed';
    this.#drainingSince = undefined;
    if (this.#inflight === 0) onIdle();
    else this.#onIdle = onIdle;
  }

  /** Closes the pool gracefully: undici lets running requests finish. */
  async close(): Promise<void> {
    this.#onIdle = undefined;
    if (this.#pool && !this.#pool.closed) await this.#pool.close();
  }
}
