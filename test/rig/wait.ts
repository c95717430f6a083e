import { setTimeout as sleep } from 'node:timers/promises';

/** Options for {@link waitFor}. */
export interface WaitOptions {
  timeoutMs: number;
  /** Pause between attempts; default 250 ms. */
  intervalMs?: number;
  /** What is awaited, for the timeout error; a function is asked at timeout, so it can tell the last state. */
  what: string | (() => string);
}

/**
 * Calls `fn` until it returns something other than `undefined` or `false`, and returns that. A call that
 * throws counts as "not yet"; its error is quoted if the wait times out.
 *
 * @example
 * const port = await waitFor(async () => (await readPort()) ?? undefined, { timeoutMs: 5000, what: 'the port' });
 */
export async function waitFor<T>(fn: () => Promise<T | undefined | false>, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    let lastError: unknown;
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const what = typeof opts.what === 'function' ? opts.what() : opts.what;
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(Math.min(opts.intervalMs ?? 250, left));
  }
}
