import { floor, sizeLabel } from './scale-goals.js';
import type { ScaleResult } from './scale-result.js';

const table = (header: string[], rows: string[][]): string =>
  [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');

const count = (n: number) => Math.round(n).toLocaleString('en-US');
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const ms = (n: number) => n.toFixed(2);

const reference = 'nginx';
const perConnection = (r: { perConnectionBytes: number }) => r.perConnectionBytes;
const throughput = (r: { throughput: number }) => r.throughput;

/** `value` as a multiple of `target`'s in the same row (`2.50×`), or `–` when that one did not run. */
function times<T extends { target: string }>(rows: T[], of: (row: T) => number, row: T, target: string) {
  const base = rows.find((r) => r.target === target);
  return base && of(base) > 0 ? `${(of(row) / of(base)).toFixed(2)}×` : '–';
}

/** The scale rows as markdown: one table per row, then notes and failures. Empty when they did not run. */
export function scaleSection(scale: ScaleResult | undefined): string {
  if (!scale) return '';
  const { sizes } = scale;
  const parts = [
    '## Scale',
    '',
    'Each gateway runs alone on CPU 1, started afresh for every row, with one worker (swarmgate without ' +
      '`--workers`, nginx `worker_processes 1`), or two where one process may not open enough files for ' +
      'the row (the WebSocket table says); the load generator (`scale/scale-client.ts`) and ' +
      'the origin share CPU 0. RSS is the sum over the gateway’s whole process tree (nginx: master and ' +
      'worker), read from `/proc`; “per connection” is the growth from before the clients connected to ' +
      'after, divided by the connections opened. `node-http` is the floor, in the idle and large-body rows: ' +
      'a bare reverse proxy on node’s own `http` server and client (`scale/node-http-proxy.ts`: a keep-alive ' +
      'agent, bodies piped, no routing, limits, logging or metrics), on the same CPU as the others.',
    '',
    `### ${count(sizes.idleConnections)} idle keep-alive connections (one GET each, then idle)`,
    '',
    table(
      [
        'target',
        'opened',
        'held',
        'RSS before MiB',
        'RSS after MiB',
        'KiB per connection',
        '× nginx',
        '× node-http',
      ],
      scale.idle.map((r) => [
        r.target,
        count(r.opened),
        count(r.held),
        mib(r.rssBeforeBytes),
        mib(r.rssAfterBytes),
        kib(r.perConnectionBytes),
        times(scale.idle, perConnection, r, reference),
        times(scale.idle, perConnection, r, floor),
      ]),
    ),
    '',
    `### ${count(sizes.websockets)} WebSockets, one message per ${sizes.websocketIntervalMs / 1e3} s each, ` +
      `${sizes.websocketRounds} round${sizes.websocketRounds === 1 ? '' : 's'}`,
    '',
    table(
      [
        'target',
        'workers',
        'opened',
        'held',
        'echoed / sent',
        'RSS before MiB',
        'RSS open MiB',
        'KiB per socket',
        'cores busy',
        'CPU µs per message',
        'echo p50 ms',
        'echo p99 ms',
        'max ms',
      ],
      scale.websocket.map((r) => [
        r.target,
        String(r.workers),
        count(r.opened),
        count(r.held),
        `${count(r.echoed)} / ${count(r.sent)}`,
        mib(r.rssBeforeBytes),
        mib(r.rssOpenBytes),
        kib(r.perSocketBytes),
        (r.cpuS / Math.max(r.wallS, 1e-3)).toFixed(3),
        ((r.cpuS * 1e6) / Math.max(r.echoed, 1)).toFixed(1),
        ms(r.p50Ms),
        ms(r.p99Ms),
        ms(r.maxMs),
      ]),
    ),
    '',
    `### ${sizeLabel(sizes.transferBytes)} bodies, one connection`,
    '',
    table(
      [
        'direction',
        'target',
        'status',
        'MiB/s',
        'seconds',
        'RSS before MiB',
        'RSS peak MiB',
        'peak growth MiB',
        '× nginx',
        '× node-http',
      ],
      scale.transfer.map((r) => [
        r.direction,
        r.target,
        String(r.status),
        (r.throughput / 2 ** 20).toFixed(0),
        r.seconds.toFixed(2),
        mib(r.rssBeforeBytes),
        mib(r.rssPeakBytes),
        mib(r.peakGrowthBytes),
        ...[reference, floor].map((target) =>
          times(
            scale.transfer.filter((t) => t.direction === r.direction),
            throughput,
            r,
            target,
          ),
        ),
      ]),
    ),
    '',
    `### ${count(sizes.routes)} routes × ${sizes.upstreams} upstreams swapped under load ` +
      `(${sizes.swapConnections} connections, closed loop over ${count(sizes.swapLoadRoutes)} routes spread over the table)`,
    '',
    'swarmgate: the `--table` file renamed over and SIGHUP; nginx: its config renamed over and `SIGHUP` ' +
      '(reload). The new table replaces one upstream of every backend. p99 is the worst p99 of any one second ' +
      '(a stall delays one request per connection, which a p99 over seconds of load would not show): ' +
      '“before” over the 5 s ending 1 s before the swap, “around” over the 5 s from 1 s before it, or longer: ' +
      'until 2 s after swarmgate served the new table (its admin API’s `/api/status`), if that came later.',
    '',
    table(
      [
        'target',
        'requests',
        'errors',
        'reconnects',
        'p99 before ms',
        'p99 around ms',
        'around s',
        '× before',
        'max around ms',
        'served after ms',
      ],
      scale.swap.map((r) => [
        r.target,
        count(r.requests),
        String(r.errors),
        String(r.reconnects),
        ms(r.beforeP99Ms),
        ms(r.aroundP99Ms),
        r.aroundS.toFixed(1),
        `${(r.aroundP99Ms / Math.max(r.beforeP99Ms, 1e-3)).toFixed(2)}×`,
        r.aroundMaxMs.toFixed(1),
        r.appliedAfterMs === undefined ? '–' : r.appliedAfterMs.toFixed(0),
      ]),
    ),
  ];
  for (const note of scale.notes) parts.push('', `- ${note}`);
  for (const f of scale.failures)
    parts.push('', `- **${f.target} failed** (${f.row}): \`${f.error.replace(/\s+/g, ' ').slice(0, 400)}\``);
  return parts.join('\n');
}
