import { benchHost } from './http-probe.js';
import { pinned } from './layout.js';
import type { Supervisor } from './processes.js';

/** One wrk load run against 127.0.0.1:`port`. */
export interface WrkRun {
  port: number;
  connections: number;
  threads: number;
  durationS: number;
  /** Send `Connection: close`: every request on a new client connection. */
  close: boolean;
  cpus: string | undefined;
}

/** What wrk reports for one run (latencies in milliseconds). */
export interface WrkResult {
  requests: number;
  durationS: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** wrk's "Non-2xx or 3xx responses". */
  non2xx: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
}

/** Runs wrk (with `--latency`) and parses its report. */
export async function runWrk(supervisor: Supervisor, run: WrkRun): Promise<WrkResult> {
  const args = [
    `-t${run.threads}`,
    `-c${run.connections}`,
    `-d${run.durationS}s`,
    '--latency',
    '-H',
    `Host: ${benchHost}`,
    ...(run.close ? ['-H', 'Connection: close'] : []),
    `http://127.0.0.1:${run.port}/`,
  ];
  const wrk = supervisor.start(...pinned(run.cpus, 'wrk', args));
  const ended = await wrk.exited;
  try {
    return parseWrk(wrk.output());
  } catch (error) {
    throw new Error(`wrk ${ended}: ${(error as Error).message}\n${wrk.output()}`);
  }
}

const toMs: Record<string, number> = { us: 1e-3, ms: 1, s: 1e3, m: 60e3 };

function latencyMs(text: string, percentile: string): number {
  const match = new RegExp(`^\\s*${percentile}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text);
  if (!match) throw new Error(`no ${percentile}% latency in wrk output`);
  return Number(match[1]) * toMs[match[2]!]!;
}

/**
 * Parses wrk 4's text report.
 *
 * @example
 * parseWrk('  99%  1.20ms\n  50%  250.00us\n  1000 requests in 1.00s, 1MB read\nRequests/sec: 1000.00\n').p50Ms // 0.25
 */
export function parseWrk(text: string): WrkResult {
  const total = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m),/m.exec(text);
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  if (!total || !rps) throw new Error('no request totals in wrk output');
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  return {
    requests: Number(total[1]),
    durationS: (Number(total[2]) * toMs[total[3]!]!) / 1e3,
    rps: Number(rps[1]),
    p50Ms: latencyMs(text, '50'),
    p99Ms: latencyMs(text, '99'),
    non2xx: Number(non2xx?.[1] ?? 0),
    socketErrors: {
      connect: Number(socket?.[1] ?? 0),
      read: Number(socket?.[2] ?? 0),
      write: Number(socket?.[3] ?? 0),
      timeout: Number(socket?.[4] ?? 0),
    },
  };
}
