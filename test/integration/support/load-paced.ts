/**
 * Steady traffic for integration tests: requests started at a fixed rate over keep-alive connections,
 * with a cap on requests in flight, and every outcome kept with its time so failures can be laid next
 * to the gateway's table versions and logs. Bounded: it stops by itself after `maxDurationMs`.
 *
 * @example
 * const load = startPacedLoad(gw.http, { host: 'a.test' }, { rate: 50 });
 * await rig.docker(['service', 'update', '--force', 'demo_web']);
 * const result = await load.stop();
 * t.diagnostic(describeLoad(result));
 */
import { Agent } from 'node:http';
import { type HttpRequestOptions, httpRequest } from './http-client.js';

/** One request that did not end in a 2xx, or a slow 2xx. */
export interface LoadFailure {
  /** When it started, ms since the epoch (pino's `time` uses the same clock). */
  startedAt: number;
  /** When it ended. */
  endedAt: number;
  /** The response status; 0 for a transport error (no response). */
  status: number;
  /** The response body's start, the transport error's message, or (slow 2xx) the task that answered. */
  detail: string;
}

/** What a paced load saw. */
export interface PacedLoadResult {
  /** Requests that ended (any outcome). */
  total: number;
  /** 2xx responses. */
  ok: number;
  /** Responses with another status. */
  otherStatus: number;
  /** Requests that got no response at all. */
  transportErrors: number;
  /** Every non-2xx outcome, in the order they ended. */
  failures: LoadFailure[];
  /** 2xx responses that took `slowMs` or longer. */
  slow: LoadFailure[];
  /** Request durations (all outcomes): median, 99th percentile, maximum. */
  latencyMs: { p50: number; p99: number; max: number };
  /** Scheduled starts dropped because `concurrency` requests were in flight (the target was too slow). */
  skipped: number;
  /** 2xx responses per `x-whoami-name` (the task that answered). */
  byTask: Record<string, number>;
  /** Highest number of requests in flight at once. */
  maxInflight: number;
  startedAt: number;
  endedAt: number;
}

/** Traffic in progress. */
export interface PacedLoad {
  /** Requests in flight now. */
  readonly inflight: number;
  /** Requests ended so far. */
  readonly total: number;
  /** Waits for the requests in flight, closes the connections and resolves with the totals. */
  stop(): Promise<PacedLoadResult>;
}

/** Options for {@link startPacedLoad}. */
export interface PacedLoadOptions {
  /** Requests started per second; default 50. */
  rate?: number;
  /** Cap on requests in flight, which is also the number of keep-alive connections; default 8. */
  concurrency?: number;
  /** The load stops by itself after this long; default 120 s. */
  maxDurationMs?: number;
  /** A 2xx that takes this long is listed in `slow`; default 1 s. */
  slowMs?: number;
}

/**
 * Starts GET requests (or what `request` says) to `base` at `rate` per second until stopped. Each
 * request gets `request` as options (Host, path, ...) over a shared keep-alive agent.
 */
export function startPacedLoad(
  base: string,
  request: HttpRequestOptions,
  opts: PacedLoadOptions = {},
): PacedLoad {
  const rate = opts.rate ?? 50;
  const concurrency = opts.concurrency ?? 8;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const result: PacedLoadResult = {
    total: 0,
    ok: 0,
    otherStatus: 0,
    transportErrors: 0,
    failures: [],
    slow: [],
    latencyMs: { p50: 0, p99: 0, max: 0 },
    skipped: 0,
    byTask: {},
    maxInflight: 0,
    startedAt: Date.now(),
    endedAt: 0,
  };
  const pending = new Set<Promise<void>>();
  const durations: number[] = [];
  const slowMs = opts.slowMs ?? 1_000;

  const one = async (): Promise<void> => {
    const startedAt = Date.now();
    try {
      const res = await httpRequest(base, { timeoutMs: 10_000, ...request, agent });
      if (res.status >= 200 && res.status < 300) {
        result.ok++;
        const task = String(res.headers['x-whoami-name'] ?? '');
        if (task) result.byTask[task] = (result.byTask[task] ?? 0) + 1;
        const endedAt = Date.now();
        if (endedAt - startedAt >= slowMs)
          result.slow.push({ startedAt, endedAt, status: res.status, detail: task });
      } else {
        result.otherStatus++;
        result.failures.push({
          startedAt,
          endedAt: Date.now(),
          status: res.status,
          detail: res.body.slice(0, 160),
        });
      }
    } catch (err) {
      result.transportErrors++;
      result.failures.push({ startedAt, endedAt: Date.now(), status: 0, detail: (err as Error).message });
    }
    result.total++;
    durations.push(Date.now() - startedAt);
  };

  // Catches up with the schedule after a late timer (a busy machine), so the rate holds on average;
  // a start that finds the in-flight cap reached is skipped, not postponed.
  let scheduled = 0;
  const tick = (): void => {
    const due = Math.floor(((Date.now() - result.startedAt) * rate) / 1000);
    for (; scheduled < due; scheduled++) {
      if (pending.size >= concurrency) {
        result.skipped++;
        continue;
      }
      const p = one().finally(() => pending.delete(p));
      pending.add(p);
      result.maxInflight = Math.max(result.maxInflight, pending.size);
    }
  };
  const timer = setInterval(tick, Math.min(10, 1000 / rate));
  let stopping: Promise<PacedLoadResult> | undefined;
  const stop = (): Promise<PacedLoadResult> => {
    stopping ??= (async () => {
      clearInterval(timer);
      clearTimeout(limit);
      await Promise.all(pending);
      agent.destroy();
      result.endedAt = Date.now();
      durations.sort((a, b) => a - b);
      const at = (q: number) =>
        durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0;
      result.latencyMs = { p50: at(0.5), p99: at(0.99), max: durations.at(-1) ?? 0 };
      return result;
    })();
    return stopping;
  };
  const limit = setTimeout(() => void stop(), opts.maxDurationMs ?? 120_000);

  return {
    get inflight() {
      return pending.size;
    },
    get total() {
      return result.total;
    },
    stop,
  };
}

/** One line with the counts, for `t.diagnostic`. */
export function describeLoad(result: PacedLoadResult): string {
  const seconds = (result.endedAt - result.startedAt) / 1000;
  return (
    `${result.total} requests in ${seconds.toFixed(1)} s (${(result.total / seconds).toFixed(1)}/s): ` +
    `${result.ok} 2xx, ${result.otherStatus} other status, ${result.transportErrors} transport errors, ` +
    `${result.skipped} starts skipped at the in-flight cap, max ${result.maxInflight} in flight; ` +
    `latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms, ` +
    `${result.slow.length} slow 2xx; ` +
    `2xx by task ${JSON.stringify(result.byTask)}`
  );
}
