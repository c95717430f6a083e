/**
 * The gateway's structured log (pino JSON lines on stdout) as events, for tests that put load through
 * `swarmgate run` and must tell retries, failed requests and table swaps apart.
 *
 * @example
 * const log = gatewayLog(gw.logs());
 * t.diagnostic(`${log.retries.length} retries, ${log.failed.length} failed upstream requests`);
 */

/** One pino line. */
export interface GatewayLogEvent {
  /** ms since the epoch. */
  time: number;
  level: number;
  msg: string;
  /** Every other field of the line (code, upstreamId, version, cause, ...). */
  fields: Record<string, unknown>;
}

/** The log lines load tests look at. */
export interface GatewayLog {
  /** Every JSON line, in order. */
  events: GatewayLogEvent[];
  /** `retrying the request on another upstream`. */
  retries: GatewayLogEvent[];
  /** Requests the gateway answered with an error: an upstream failure it could not retry, or a routing failure. */
  failed: GatewayLogEvent[];
  /** `serving routing table`: one per table swapped in (the initial one included). */
  tables: GatewayLogEvent[];
}

const RETRY = 'retrying the request on another upstream';
const TABLE = 'serving routing table';
/** Warn lines that mean a client got an error or a cut response. */
const FAILED = new Set([
  'upstream request failed',
  'upstream failed while streaming the response; closing the client connection',
  'no available upstream',
]);

/** Parses the JSON lines of `logs` (other lines, such as table renderings on stderr, are skipped). */
export function gatewayLog(logs: string): GatewayLog {
  const events: GatewayLogEvent[] = [];
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) continue;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const { time, level, msg, ...fields } = parsed;
    if (typeof time !== 'number' || typeof msg !== 'string') continue;
    events.push({ time, level: Number(level), msg, fields });
  }
  return {
    events,
    retries: events.filter((e) => e.msg === RETRY),
    failed: events.filter((e) => FAILED.has(e.msg)),
    tables: events.filter((e) => e.msg === TABLE),
  };
}

/** Events whose time lies in `[from, to]`. */
export function eventsBetween(
  events: readonly GatewayLogEvent[],
  from: number,
  to: number,
): GatewayLogEvent[] {
  return events.filter((e) => e.time >= from && e.time <= to);
}

/** Counts of `fields[key]` values, e.g. retries by cause: `{"ECONNREFUSED": 3}`. */
export function countBy(events: readonly GatewayLogEvent[], key: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) {
    const value = String(e.fields[key] ?? '');
    counts[value] = (counts[value] ?? 0) + 1;
  }
  return counts;
}
