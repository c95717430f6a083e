/**
 * Background traffic for integration tests: `loops` concurrent clients, each sending one request after
 * another until stopped, counting 200s and describing every other outcome.
 *
 * @example
 * const load = startLoad(() => httpRequest(gw.http, { host: 'a.test' }));
 * await rig.docker(['service', 'scale', 'demo_web=1']);
 * const { ok, failures } = await load.stop();
 * assert.deepEqual(failures, []);
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpResponse } from './http-client.js';

/** What a load saw. */
export interface LoadResult {
  /** Responses with status 200. */
  ok: number;
  /** Every other outcome: `<status> <body start>` or `error: <message>`. */
  failures: string[];
}

/** Traffic in progress. */
export interface Load {
  /** 200s so far. */
  readonly ok: number;
  /** Failures so far. */
  readonly failures: readonly string[];
  /** Lets each loop finish its request in flight, then resolves with the totals. */
  stop(): Promise<LoadResult>;
}

/** Options for {@link startLoad}. */
export interface LoadOptions {
  /** Concurrent request loops; default 1. */
  loops?: number;
  /** Pause between two requests of one loop; default 0. */
  pauseMs?: number;
}

/** Starts `loops` loops calling `send(loop)` back to back; see {@link Load}. */
export function startLoad(send: (loop: number) => Promise<HttpResponse>, opts: LoadOptions = {}): Load {
  const result: LoadResult = { ok: 0, failures: [] };
  let running = true;
  const loop = async (index: number): Promise<void> => {
    while (running) {
      try {
        const res = await send(index);
        if (res.status === 200) result.ok++;
        else result.failures.push(`${res.status} ${res.body.slice(0, 120)}`);
      } catch (err) {
        result.failures.push(`error: ${(err as Error).message}`);
      }
      if (opts.pauseMs) await sleep(opts.pauseMs);
    }
  };
  const loops = Array.from({ length: opts.loops ?? 1 }, (_, i) => loop(i));
  return {
    get ok() {
      return result.ok;
    },
    get failures() {
      return result.failures;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}
