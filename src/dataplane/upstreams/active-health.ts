import type { Dispatcher } from 'undici';
import type { HealthCheckConfig } from '../../routing/table.js';

/** Where a check goes and where its verdict goes. */
export interface ActiveHealthTarget {
  readonly pool: Dispatcher;
  recordActiveCheck(ok: boolean, reason: string): void;
}

/**
 * Polls `GET <path>` on one upstream: a 2xx/3xx answer within the timeout passes, anything else fails.
 * Checks never overlap (the next one is scheduled when the previous ends) and the timer is unref'd.
 */
export class ActiveHealthCheck {
  readonly config: HealthCheckConfig;
  readonly #target: ActiveHealthTarget;
  #timer: NodeJS.Timeout | undefined;
  #running: AbortController | undefined;
  #stopped = false;

  constructor(target: ActiveHealthTarget, config: HealthCheckConfig) {
    this.#target = target;
    this.config = config;
  }

  /** Starts polling; the first check runs at once so a new upstream is judged quickly. */
  start(): void {
    this.#schedule(0);
  }

  /** Stops polling and aborts a running check. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#running?.abort();
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
    const { path, timeoutMs, intervalMs } = this.config;
    const abort = new AbortController();
    this.#running = abort;
    const timeout = setTimeout(() => abort.abort(), timeoutMs).unref();
    let ok: boolean;
    let reason: string;
    try {
      const res = await this.#target.pool.request({
        method: 'GET',
        path,
        signal: abort.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await res.body.dump();
      ok = res.statusCode >= 200 && res.statusCode < 400;
      reason = String(res.statusCode);
    } catch (err) {
      ok = false;
      reason = abort.signal.aborted ? 'timeout' : ((err as { code?: string }).code ?? 'error');
    } finally {
      clearTimeout(timeout);
      this.#running = undefined;
    }
    if (this.#stopped) return;
    this.#target.recordActiveCheck(ok, reason);
    this.#schedule(intervalMs);
  }
}
