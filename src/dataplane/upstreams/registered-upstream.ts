import type { Upstream } from '../../routing/table.js';
import { publishHealth } from './health-channel.js';
import { UpstreamError } from './http1/upstream-error.js';
import { UpstreamPool, type UpstreamPoolOptions } from './http1/upstream-pool.js';
import { PassiveHealth, type PassiveHealthOptions } from './passive-health.js';
import { tcpProbe } from './tcp-probe.js';
import type {
  UnansweredExchange,
  UpstreamFailure,
  UpstreamHandle,
  UpstreamHandleState,
} from './upstream-handle.js';

/** What every handle of one registry shares. */
export interface HandleSettings {
  poolOptions: UpstreamPoolOptions;
  /** Also bounds the background probe of a passively tripped upstream. */
  connectTimeoutMs: number;
  drainTimeoutMs: number;
  passive: PassiveHealthOptions;
  /** Consecutive failed active checks before the upstream is marked down. */
  activeUnhealthyAfter: number;
  now: () => number;
}

/**
 * Longest wait for a removed upstream's address to answer a connect (capped by the connect timeout): a
 * live host answers a SYN within a round trip, and 2 s leaves room for one lost SYN (resent after 1 s).
 */
const REMOVED_PROBE_TIMEOUT_MS = 2_000;

/**
 * Probe failures that mean the host itself is gone. A refused connect is an answer: the node is up and
 * the task is stopping (a server closes its listener first, then finishes what it has in flight).
 */
const HOST_GONE = new Set(['timeout', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN']);

/**
 * The registry's implementation of {@link UpstreamHandle}; only the registry changes its lifecycle.
 * While passive health has it down, a background TCP probe (unref'd) runs after each backoff, so no
 * client request pays for the check; probing stops when the upstream is removed or closed. A removed
 * upstream with requests awaiting a response gets one probe of its own (see `retire`).
 */
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
  #pool: UpstreamPool | undefined;
  /** Exchanges outside the pool (upgrades) awaiting their answer. */
  readonly #unansweredOutside = new Set<UnansweredExchange>();
  #activeFails = 0;
  #activeHealthy = true;
  #onIdle: (() => void) | undefined;
  /** Present while a probe is scheduled or running; aborting it cancels both. */
  #probe: AbortController | undefined;
  /** Present while the probe of a removed upstream runs (see `retire`). */
  #removedProbe: AbortController | undefined;

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
    return this.#activeHealthy && !this.#passive.down;
  }

  get pool(): UpstreamPool {
    this.#pool ??= new UpstreamPool(this.host, this.port, this.#settings.poolOptions);
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
  }

  requestFinished(): void {
    this.#inflight -= 1;
    if (this.#inflight === 0) this.#onIdle?.();
  }

  reportFailure(kind: UpstreamFailure): void {
    if (this.#passive.failure(kind === 'connect', this.#settings.now())) {
      publishHealth(this, false, 'passive', kind);
      this.#scheduleProbe();
    }
  }

  /**
   * Changes nothing: up, there is nothing to reset; down, the request started before the trip (none
   * start while down), and only the probe brings an upstream back.
   */
  reportSuccess(): void {}

  /** Takes the latest table data; tracks when draining started. */
  update(upstream: Upstream): void {
    this.#upstream = upstream;
    this.#onIdle = undefined;
    this.#stopRemovedProbe();
    if (upstream.state === 'draining') {
      if (this.#state !== 'draining') this.#drainingSince = this.#settings.now();
    } else {
      this.#drainingSince = undefined;
    }
    this.#state = upstream.state;
    // Back from `removed` while still down: probing stopped at retire, so it resumes here.
    this.#scheduleProbe();
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

  awaitAnswer(exchange: UnansweredExchange): () => void {
    this.#unansweredOutside.add(exchange);
    return () => this.#unansweredOutside.delete(exchange);
  }

  /**
   * Leaves the table: no new requests; `onIdle` runs once nothing is in flight (at once if already idle).
   * While a request awaits its response there, one TCP connect checks that the host still answers: an
   * upstream leaves the table when its node is down or cut off, and such requests would otherwise hang
   * until the upstream timeout. When the host does not answer (timeout, unreachable), the exchanges with
   * no response byte yet (pooled ones, and upgrades registered with `awaitAnswer`) end at once with
   * `SG_UPSTREAM_UNREACHABLE` (the proxy retries the idempotent ones elsewhere); responses under way
   * are left alone. The table swap pays for this, never a request.
   */
  retire(onIdle: () => void): void {
    this.#state = 'removed';
    this.#drainingSince = undefined;
    this.#stopProbe();
    if (this.#inflight === 0) {
      onIdle();
      return;
    }
    this.#onIdle = onIdle;
    const unanswered = this.#unansweredOutside.size > 0 || this.#pool?.hasUnanswered() === true;
    if (this.#removedProbe === undefined && unanswered) void this.#probeRemoved();
  }

  /** Closes the pool gracefully: running requests finish first. */
  async close(): Promise<void> {
    this.#onIdle = undefined;
    this.#stopProbe();
    this.#stopRemovedProbe();
    if (this.#pool && !this.#pool.closed) await this.#pool.close();
  }

  #scheduleProbe(): void {
    if (this.#probe !== undefined || this.#state === 'removed' || !this.#passive.down) return;
    const probe = new AbortController();
    this.#probe = probe;
    const timer = setTimeout(() => void this.#runProbe(probe), this.#passive.backoffMs).unref();
    probe.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  }

  async #runProbe(probe: AbortController): Promise<void> {
    const failure = await tcpProbe(this.host, this.port, this.#settings.connectTimeoutMs, probe.signal);
    if (probe.signal.aborted) return;
    this.#probe = undefined;
    if (failure === undefined) {
      this.#passive.probeSucceeded();
      publishHealth(this, true, 'passive', 'probe');
    } else {
      this.#passive.probeFailed();
      publishHealth(this, false, 'passive', failure);
      this.#scheduleProbe();
    }
  }

  #stopProbe(): void {
    this.#probe?.abort();
    this.#probe = undefined;
  }

  async #probeRemoved(): Promise<void> {
    const probe = new AbortController();
    this.#removedProbe = probe;
    const timeoutMs = Math.min(this.#settings.connectTimeoutMs, REMOVED_PROBE_TIMEOUT_MS);
    const failure = await tcpProbe(this.host, this.port, timeoutMs, probe.signal);
    if (probe.signal.aborted) return;
    this.#removedProbe = undefined;
    if (failure === undefined || !HOST_GONE.has(failure)) return;
    const err = new UpstreamError(
      'SG_UPSTREAM_UNREACHABLE',
      `the upstream left the routing table and ${this.address} does not answer (${failure})`,
    );
    let ended = this.#pool?.failUnanswered(err) ?? 0;
    for (const exchange of [...this.#unansweredOutside]) {
      exchange.failUnanswered(err);
      ended += 1;
    }
    this.#unansweredOutside.clear();
    publishHealth(this, false, 'removed', failure, ended);
  }

  #stopRemovedProbe(): void {
    this.#removedProbe?.abort();
    this.#removedProbe = undefined;
  }
}
