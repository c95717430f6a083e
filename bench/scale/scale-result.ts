/** Numbers of the scale rows, one entry per (row, target); every size in bytes, every time in ms or s. */

/** How big the rows are: 10,000 connections in a full run, fewer with `--quick`. */
export interface ScaleSizes {
  idleConnections: number;
  websockets: number;
  /** Each WebSocket sends one message per interval, for this many rounds. */
  websocketRounds: number;
  websocketIntervalMs: number;
  transferBytes: number;
  routes: number;
  upstreams: number;
  swapConnections: number;
  /**
   * Routes the swap row's load cycles through, spread over the table. Not all of them: spread over
   * 10,000 routes, nearly every request would open a new upstream connection, and the row would measure
   * connection churn (and run out of local ports) instead of the swap.
   */
  swapLoadRoutes: number;
  /** Seconds of load before and after the swap (after an unmeasured warm-up). */
  swapBeforeS: number;
  swapAfterS: number;
}

/** Idle keep-alive client connections, each after one request. */
export interface IdleRow {
  target: string;
  connections: number;
  opened: number;
  /** Still open when the client let go, after the memory was read. */
  held: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  perConnectionBytes: number;
}

/** Open WebSockets through the gateway to an echoing origin. */
export interface WebSocketRow {
  target: string;
  /** Gateway worker processes, all on one CPU: two where one may not hold 2 × `connections` sockets. */
  workers: number;
  connections: number;
  opened: number;
  held: number;
  sent: number;
  echoed: number;
  rssBeforeBytes: number;
  /** The most the tree held after the sockets opened: idle, and again after the messages. */
  rssOpenBytes: number;
  perSocketBytes: number;
  /** CPU of the gateway's process tree while the messages flowed, and that phase's wall time. */
  cpuS: number;
  wallS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** One large body through the gateway, one connection. */
export interface TransferRow {
  target: string;
  direction: 'upload' | 'download';
  bytes: number;
  status: number;
  seconds: number;
  /** Bytes per second. */
  throughput: number;
  rssBeforeBytes: number;
  rssPeakBytes: number;
  peakGrowthBytes: number;
}

/** A table swap (swarmgate: rewritten `--table` file and SIGHUP; nginx: rewritten config and reload). */
export interface SwapRow {
  target: string;
  routes: number;
  upstreams: number;
  requests: number;
  errors: number;
  reconnects: number;
  /**
   * The worst p99 of any one second in the 5 s that end 1 s before the swap, and in the `aroundS` seconds
   * from 1 s before it (5 s, or until 2 s after the new table was served, if later).
   */
  beforeP99Ms: number;
  aroundP99Ms: number;
  aroundS: number;
  aroundMaxMs: number;
  /** swarmgate only: from the SIGHUP until its admin API served the new table version. */
  appliedAfterMs: number | undefined;
}

/** Everything the scale rows measured. */
export interface ScaleResult {
  sizes: ScaleSizes;
  idle: IdleRow[];
  websocket: WebSocketRow[];
  transfer: TransferRow[];
  swap: SwapRow[];
  failures: { row: string; target: string; error: string }[];
  notes: string[];
}

/** The `q` quantile (0–1) of values already sorted ascending; 0 for none. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The windows each side of a swap: "before" is 5 s and ends 1 s before it, where "around" starts. */
export const swapWindowMs = 5_000;
const swapLeadMs = 1_000;
/** "around" reaches at least this far past the moment the new table was served. */
const servedTailMs = 2_000;
const secondMs = 1_000;

/**
 * Latency of the requests that ended in [from, to) (epoch ms), from parallel arrays: the worst p99 of
 * any whole second in it, the maximum, and the count. Per second, not over the window: closed-loop load
 * sends no new requests while the gateway stalls, so a stall of a whole second delays only one request
 * per connection and hides in a 5 s p99; the seconds it spans have few requests, all of them slow.
 */
export function windowLatency(
  ends: number[],
  latencies: number[],
  fromMs: number,
  toMs: number,
): { p99Ms: number; maxMs: number; count: number } {
  const seconds = Array.from({ length: Math.ceil((toMs - fromMs) / secondMs) }, (): number[] => []);
  ends.forEach((end, i) => {
    if (end >= fromMs && end < toMs) seconds[Math.floor((end - fromMs) / secondMs)]!.push(latencies[i]!);
  });
  const all = seconds.flat();
  return {
    p99Ms: Math.max(
      0,
      ...seconds.map((second) =>
        quantile(
          second.sort((a, b) => a - b),
          0.99,
        ),
      ),
    ),
    maxMs: all.reduce((max, ms) => Math.max(max, ms), 0),
    count: all.length,
  };
}

/**
 * Worst per-second p99 before a swap at `swapMs` and around it (see `SwapRow`). "around" lasts 5 s, or
 * until 2 s after `servedMs` (when the gateway served the new table) if that is later: a gateway that
 * takes its time to load the table does its heavy work after the swap, and the window must include it.
 */
export function swapWindows(ends: number[], latencies: number[], swapMs: number, servedMs?: number) {
  const aroundFrom = swapMs - swapLeadMs;
  const aroundTo = Math.max(aroundFrom + swapWindowMs, (servedMs ?? 0) + servedTailMs);
  return {
    before: windowLatency(ends, latencies, aroundFrom - swapWindowMs, aroundFrom),
    around: {
      ...windowLatency(ends, latencies, aroundFrom, aroundTo),
      seconds: (aroundTo - aroundFrom) / 1e3,
    },
  };
}
