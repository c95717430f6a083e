/**
 * Runs a test step (a rolling update, a node loss, label changes) while steady traffic goes through a
 * gateway, and reports what happened: client counts, the gateway's retries and table swaps, and a
 * timeline of admin API states, gateway log lines and failed requests.
 *
 * @example
 * const run = await underLoad(t, gw, 'demo_web/default', { request: { host: 'a.test' } }, async (mark) => {
 *   mark('update');
 *   await rig.docker(['service', 'update', '--force', 'demo_web']);
 * });
 * assert.equal(run.result.transportErrors, 0, run.story.join('\n'));
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayProcess } from './gateway-process.js';
import type { HttpRequestOptions } from './http-client.js';
import { countBy, eventsBetween, type GatewayLog, gatewayLog } from './load-gateway-log.js';
import { describeLoad, type PacedLoad, type PacedLoadResult, startPacedLoad } from './load-paced.js';
import { type RouteSample, type RouteWatch, watchRoute } from './load-table-watch.js';
import { timeline } from './load-timeline.js';

interface TestContext {
  after: (fn: () => Promise<void> | void) => void;
  diagnostic: (message: string) => void;
}

/** Options for {@link underLoad}. */
export interface UnderLoadOptions {
  /** What every request sends (Host, path, ...). */
  request: HttpRequestOptions;
  /** Requests per second; default 50. */
  rate?: number;
  /** Cap on requests in flight; default 8. */
  concurrency?: number;
  /** Traffic before the step starts; default 3 s. */
  warmupMs?: number;
  /** Traffic after the step ended; default 3 s. */
  cooldownMs?: number;
  /** The whole run lasts at least this long (the cooldown is stretched); default 30 s. */
  minDurationMs?: number;
}

/** What a run under load saw. */
export interface LoadRun {
  result: PacedLoadResult;
  /** Distinct admin API states of the route during the run. */
  samples: RouteSample[];
  /** The gateway's retries, failed requests and table swaps during the run. */
  log: GatewayLog;
  /** Timeline lines: test marks, admin API states, gateway log lines, failed client requests. */
  story: string[];
}

/** The live handles of a run, for steps that look at traffic or table while it runs. */
export interface LoadHandles {
  /** Records a test step in the timeline. */
  mark: (what: string) => void;
  load: PacedLoad;
  watch: RouteWatch;
}

/**
 * Starts traffic and an admin API watch on `routeId`, runs `step` after the warm-up, keeps traffic
 * going for the cooldown (and up to `minDurationMs` in all), then stops and reports to `t.diagnostic`
 * (the timeline only when a request failed, was slow or was retried). Traffic also stops in `t.after` if the
 * step throws.
 */
export async function underLoad(
  t: TestContext,
  gw: GatewayProcess,
  routeId: string,
  opts: UnderLoadOptions,
  step: (handles: LoadHandles) => Promise<void>,
): Promise<LoadRun> {
  const marks: Array<[number, string]> = [];
  const watch = watchRoute(gw, routeId);
  const load = startPacedLoad(gw.http, opts.request, {
    rate: opts.rate ?? 50,
    concurrency: opts.concurrency ?? 8,
    maxDurationMs: 180_000,
  });
  const startedAt = Date.now();
  t.after(async () => {
    await load.stop();
    await watch.stop();
  });
  await sleep(opts.warmupMs ?? 3_000);
  await step({ mark: (what) => marks.push([Date.now(), what]), load, watch });
  const minEnd = startedAt + (opts.minDurationMs ?? 30_000);
  await sleep(Math.max(opts.cooldownMs ?? 3_000, minEnd - Date.now()));
  const result = await load.stop();
  const samples = await watch.stop();

  const all = gatewayLog(gw.logs());
  const within = (events: GatewayLog['events']) => eventsBetween(events, result.startedAt, result.endedAt);
  const log: GatewayLog = {
    events: within(all.events),
    retries: within(all.retries),
    failed: within(all.failed),
    tables: within(all.tables),
  };
  const story = timeline(result.startedAt, {
    samples,
    log,
    failures: result.failures,
    slow: result.slow,
    marks,
  });
  t.diagnostic(describeLoad(result));
  t.diagnostic(
    `gateway: ${log.retries.length} retries (by cause ${JSON.stringify(countBy(log.retries, 'cause'))}), ` +
      `${log.failed.length} failed requests logged, ${log.tables.length} tables swapped in`,
  );
  if (result.failures.length > 0 || result.slow.length > 0 || log.retries.length > 0) {
    t.diagnostic('timeline:');
    for (const line of story) t.diagnostic(line);
  }
  return { result, samples, log, story };
}
