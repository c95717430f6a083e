/**
 * One time-ordered account of a load test: what the admin API showed, what the gateway logged and
 * which client requests failed, so a failure can be explained by the table that was served then.
 *
 * @example
 * for (const line of timeline(load.startedAt, { samples, failures: result.failures })) t.diagnostic(line);
 */
import type { GatewayLog } from './load-gateway-log.js';
import type { LoadFailure } from './load-paced.js';
import { describeSample, type RouteSample } from './load-table-watch.js';

/** What goes into a timeline; each part is optional. */
export interface TimelineParts {
  samples?: readonly RouteSample[];
  log?: GatewayLog;
  failures?: readonly LoadFailure[];
  /** Slow 2xx responses. */
  slow?: readonly LoadFailure[];
  /** Test steps: `[time, what]` (e.g. when `docker service update` was issued). */
  marks?: ReadonlyArray<readonly [number, string]>;
}

/**
 * The parts as lines sorted by time, relative to `origin` (ms since the epoch); at most `maxLines`
 * lines. Lines, not one string: `t.diagnostic` escapes newlines.
 */
export function timeline(origin: number, parts: TimelineParts, maxLines = 200): string[] {
  const lines: Array<[number, string]> = [];
  for (const s of parts.samples ?? []) lines.push([s.at, describeSample(s, origin)]);
  for (const e of [...(parts.log?.retries ?? []), ...(parts.log?.failed ?? [])]) {
    const { code, upstreamId, cause } = e.fields;
    lines.push([e.time, `+${e.time - origin}ms gateway: ${e.msg} (${code} ${upstreamId} ${cause})`]);
  }
  for (const e of parts.log?.tables ?? []) {
    lines.push([
      e.time,
      `+${e.time - origin}ms gateway: table ${String(e.fields.version).slice(0, 12)} (${e.fields.cause})`,
    ]);
  }
  for (const f of parts.failures ?? []) {
    lines.push([
      f.endedAt,
      `+${f.startedAt - origin}..${f.endedAt - origin}ms client: ${f.status || 'no response'} ${f.detail}`,
    ]);
  }
  for (const f of parts.slow ?? []) {
    lines.push([
      f.endedAt,
      `+${f.startedAt - origin}..${f.endedAt - origin}ms client: slow ${f.status} from ${f.detail}`,
    ]);
  }
  for (const [at, what] of parts.marks ?? []) lines.push([at, `+${at - origin}ms test: ${what}`]);
  lines.sort((a, b) => a[0] - b[0]);
  const text = lines.slice(0, maxLines).map(([, line]) => line);
  if (lines.length > maxLines) text.push(`... ${lines.length - maxLines} more lines`);
  return text;
}
