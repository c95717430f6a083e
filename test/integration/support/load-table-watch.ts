/**
 * Polls a gateway's admin API (`GET /api/routes`) while a test runs and keeps every distinct state of
 * one route: table version and upstreams with their table and runtime state. Gives the timeline of
 * what the gateway served during a rolling update, a node loss or a label change.
 *
 * @example
 * const watch = watchRoute(gw, 'demo_web/default');
 * await rig.docker(['service', 'update', '--force', 'demo_web']);
 * const samples = await watch.stop();
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type GatewayProcess, routeState } from './gateway-process.js';

/** One upstream as seen at a sample. */
export interface UpstreamSample {
  address: string;
  nodeHostname: string;
  /** Table state: ready or draining. */
  state: string;
  /** Registry state (ready, draining, removed), `unhealthy` appended when passive health tripped; '-' when unknown. */
  runtime: string;
  inflight: number;
}

/** The route as the admin API showed it at `at`. */
export interface RouteSample {
  /** ms since the epoch. */
  at: number;
  version: string;
  /** Route priority in this table; undefined when the route is absent. */
  priority: number | undefined;
  upstreams: UpstreamSample[];
}

/** A running watch. */
export interface RouteWatch {
  /** The latest sample (undefined before the first answer). */
  readonly last: RouteSample | undefined;
  /** Stops polling; resolves with every sample whose version or upstream states differ from the one before. */
  stop(): Promise<RouteSample[]>;
}

/** Polls `gw`'s admin API every `intervalMs` (default 100 ms) for route `routeId`, for at most `maxDurationMs` (default 180 s). */
export function watchRoute(
  gw: GatewayProcess,
  routeId: string,
  opts: { intervalMs?: number; maxDurationMs?: number } = {},
): RouteWatch {
  const samples: RouteSample[] = [];
  let last: RouteSample | undefined;
  let lastKey = '';
  let running = true;
  const deadline = Date.now() + (opts.maxDurationMs ?? 180_000);
  const loop = (async () => {
    while (running && Date.now() < deadline) {
      const at = Date.now();
      const table = await gw.table().catch(() => null);
      if (table !== null) {
        const state = routeState(table, routeId);
        const sample: RouteSample = {
          at,
          version: table.version,
          priority: state?.route.priority,
          upstreams: (state?.upstreams ?? []).map((u) => ({
            address: u.address,
            nodeHostname: u.nodeHostname,
            state: u.state,
            runtime: u.runtime ? `${u.runtime.state}${u.runtime.healthy ? '' : ' unhealthy'}` : '-',
            inflight: u.runtime?.inflight ?? 0,
          })),
        };
        last = sample;
        const key = `${sample.version} ${sample.upstreams.map((u) => `${u.address}=${u.state}/${u.runtime}`).join(',')}`;
        if (key !== lastKey) {
          samples.push(sample);
          lastKey = key;
        }
      }
      await sleep(opts.intervalMs ?? 100);
    }
  })();
  return {
    get last() {
      return last;
    },
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** `+1234ms v=abcd1234 [10.231.0.12:30001 ready/ready, ...]`, times relative to `origin`. */
export function describeSample(sample: RouteSample, origin: number): string {
  const upstreams = sample.upstreams.map(
    (u) => `${u.address}@${u.nodeHostname} ${u.state}/${u.runtime} in-flight ${u.inflight}`,
  );
  return `+${sample.at - origin}ms table ${sample.version.slice(0, 12)} [${upstreams.join(', ')}]`;
}
