import { isOriginFormTarget } from '../../routing/origin-form.js';
import type { HealthCheckConfig } from '../../routing/table.js';
import { fetchFromPool } from './http1/pool-fetch.js';
import type { UpstreamPool } from './http1/upstream-pool.js';

/** Where a check goes and where its verdict goes. */
export interface ActiveHealthTarget {
  readonly pool: UpstreamPool;
  /** `host:port`, sent as the check's Host header. */
  readonly address: string;
  recordActiveCheck(ok: boolean, reason: string): void;
}

/**
 * Polls `GET <path>` on one upstream: a 2xx/3xx answer within the timeout passes, anything else fails,
 * and so does a path that is not an origin-form target (reason `invalid-path`, nothing is sent).
 * Checks never overlap (the next one is scheduled when the previous ends) and the timer is unref'd.
 */
export class ActiveHealthCheck {
  readonly config: HealthCheckConfig;
  readonly #target: ActiveHealthTarget;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(target: ActiveHealthTarget, config: HealthCheckConfig) {
    this.#target = target;
    this.config = config;
  }

  /** Starts polling; the first check runs at once so a new upstream is judged quickly. */
  start(): void {
    this.#schedule(0);
  }

  /** Stops polling; a running check ends within its timeout and its result is dropped. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** Same check as the given config. */
  sameAs(config: HealthCheckConfig): boolean {
    const c = this.config;
    return c.path === config.path && c.intervalMs === config.intervalMs && c.timeoutMs === config.timeoutMs;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#check(), delayMs);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    const [ok, reason] = await this.#probe();
    if (this.#stopped) return;
    this.#target.recordActiveCheck(ok, reason);
    this.#schedule(this.config.intervalMs);
  }

  /** One check: whether it passed, and the status or failure kind. */
  async #probe(): Promise<[ok: boolean, reason: string]> {
    const { path, timeoutMs } = this.config;
    // Tables are validated, but the path goes into a request line as is: one with a CR, LF or space
    // would send the upstream a second request of its own, so it is never written (and fails).
    if (!isOriginFormTarget(path)) return [false, 'invalid-path'];
    try {
      const headers = ['host', this.#target.address];
      const res = await fetchFromPool(this.#target.pool, 'GET', path, headers, {
        timeoutMs,
        keepBodyBytes: 0,
      });
      return [res.status >= 200 && res.status < 400, String(res.status)];
    } catch (err) {
      const code = (err as { code?: string }).code;
      return [false, code === 'SG_UPSTREAM_RESPONSE_TIMEOUT' ? 'timeout' : (code ?? 'error')];
    }
  }
}
