import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { GoalResult } from './goals.js';
import type { MacroResult } from './macro/run-macro.js';
import { type ConnectionCost, find, type Summary } from './macro/summary.js';
import type { BenchMeta } from './meta.js';
import type { MicroResult } from './micro.js';
import { type BenchOptions, variantId, variantLabel } from './options.js';
import { scaleSection } from './scale/scale-report.js';
import type { ScaleResult } from './scale/scale-result.js';

/** Everything one `npm run bench` produced; written as JSON next to its markdown rendering. */
export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  options: Omit<BenchOptions, 'variants'> & { variants: string[] };
  meta: BenchMeta;
  targets: { name: string; sticky: boolean; config: string }[];
  macro: MacroResult | undefined;
  summaries: Summary[];
  connectionCosts: ConnectionCost[];
  /** The scale rows, when they ran. */
  scale?: ScaleResult | undefined;
  goals: GoalResult[];
  micro: MicroResult[];
}

const references = [
  { target: 'nginx', label: '×nginx' },
  { target: 'haproxy', label: '×HAProxy' },
  { target: 'caddy', label: '×Caddy' },
];

const table = (header: string[], rows: string[][]): string =>
  [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');

const fixed = (n: number, digits: number) => n.toFixed(digits);
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? '–' : `${(a / b).toFixed(2)}×`;

const loads = (load: number[]) => load.map((l) => l.toFixed(1)).join(' / ');

/**
 * Other work was running if the 1-minute load exceeded the core count when the bench started. The load
 * at the end is shown but not judged: the 2-core layout's own wrk threads, origin and workers raise it.
 */
const busy = (meta: BenchMeta) => (meta.load.start[0] ?? 0) > availableParallelism();

/** ` (scale only)`, ` (without the scale rows)`: the parts a run left out, if any. */
function parts(options: BenchOptions): string {
  if (options.only) return ` (${options.only} only)`;
  return options.skipScale ? ' (without the scale rows)' : '';
}

function header(report: BenchReport, options: BenchOptions): string {
  const { meta } = report;
  const minutes = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 60e3;
  const tools = Object.entries(meta.tools)
    .map(([tool, version]) => `${tool} ${version}`)
    .join(', ');
  return [
    `# swarmgate benchmark — ${report.startedAt}`,
    '',
    `- mode: ${options.quick ? 'quick' : 'full'}${parts(options)} — ${options.durationS} s runs, ${options.warmupS} s warm-up, ` +
      `median of ${options.reps} repetitions, targets alternated within each repetition, each run after its warm-up and once the idle targets are quiet; took ${minutes.toFixed(1)} min`,
    `- machine: ${meta.cpus}, Linux ${meta.kernel}, Node ${meta.node}; commit ${meta.commit}`,
    `- tools: ${tools}`,
    `- load average (1/5/15 min) at start ${loads(meta.load.start)}, at end ${loads(meta.load.end)}` +
      (busy(meta) ? ' — **the machine was busy with other work: treat these numbers as noisy**' : ''),
    `- machine speed: ${machineSpeed(report.summaries)}`,
  ].join('\n');
}

/**
 * The goals were set on machines where a bare node:http server cost about 27 µs per request. Machines
 * of the same size have measured up to 3× apart in CPU per request for every target alike: ratio goals
 * hold across them, the goals in absolute time (per new connection, translate) do not.
 */
function machineSpeed(summaries: Summary[]): string {
  const floor = find(summaries, '1core-64-keepalive', 'node-http');
  if (!floor) return 'not measured (no node-http run at 1 core, 64 keep-alive connections)';
  return (
    `a bare node:http server cost ${fixed(floor.cpuPerRequestUs, 1)} µs of CPU per keep-alive request on one core ` +
    '(the goals were set where it cost about 27 µs; the goals in absolute time move with it)'
  );
}

function goalsSection(goals: GoalResult[]): string {
  return [
    '## Goals',
    '',
    table(
      ['goal', 'measured', 'result'],
      goals.map((g) => [g.goal, g.measured, `**${g.status}**`]),
    ),
  ].join('\n');
}

function variantSection(report: BenchReport, options: BenchOptions): string {
  const parts = [
    '## Throughput, latency and CPU',
    '',
    'Ratios divide req/s by the reference’s req/s in the same variant (above 1 = faster). CPU is user + ' +
      'system time of the target’s process tree per request (the origin’s for `direct`); “cores busy” is that ' +
      'CPU time over wall time — near the core count, the target itself was the bottleneck. “others busy” is ' +
      'the same for the targets not under load (all stay up during a layout): each run waits until they ' +
      'are quiet, so it should read 0.00.',
  ];
  for (const variant of options.variants) {
    const id = variantId(variant);
    const rows = report.summaries.filter((s) => s.variant === id);
    if (rows.length === 0) continue;
    const nginx = find(rows, id, 'nginx');
    parts.push(
      '',
      `### ${variantLabel(variant)}`,
      '',
      table(
        [
          'target',
          'req/s',
          ...references.map((r) => r.label),
          'p50 ms',
          'p99 ms',
          'errors',
          'CPU µs/req',
          'CPU ×nginx',
          'cores busy',
          'others busy',
        ],
        rows.map((s) => [
          s.target,
          thousands(s.rps),
          ...references.map((r) => ratio(s.rps, find(rows, id, r.target)?.rps)),
          fixed(s.p50Ms, 2),
          fixed(s.p99Ms, 2),
          String(s.errors),
          fixed(s.cpuPerRequestUs, 1),
          ratio(s.cpuPerRequestUs, nginx?.cpuPerRequestUs),
          fixed(s.coresBusy, 2),
          fixed(s.othersCoresBusy, 2),
        ]),
      ),
    );
  }
  return parts.join('\n');
}

function connectionSection(costs: ConnectionCost[]): string {
  if (costs.length === 0) return '';
  return [
    '## Cost of a new client connection',
    '',
    'CPU per request with `Connection: close` minus CPU per request with keep-alive, same layout and connections: ' +
      'the accept, handshake bookkeeping and close of one client connection.',
    '',
    table(
      ['layout', 'conns', 'target', 'µs/req keep-alive', 'µs/req close', 'extra µs per connection'],
      costs.map((c) => [
        c.layout,
        String(c.connections),
        c.target,
        fixed(c.keepAliveUs, 1),
        fixed(c.closeUs, 1),
        fixed(c.extraPerConnectionUs, 1),
      ]),
    ),
  ].join('\n');
}

function targetsSection(report: BenchReport): string {
  const macro = report.macro;
  if (!macro) return '';
  const lines = [
    '## Targets and config checks',
    '',
    table(
      ['target', 'config'],
      report.targets.map((t) => [t.name, t.config]),
    ),
    '',
    table(
      ['layout', 'target', 'check', 'detail'],
      macro.checks.map((c) => [c.layout, c.target, c.ok ? 'ok' : '**FAILED**', c.detail]),
    ),
  ];
  for (const s of macro.skipped) lines.push('', `- skipped ${s.target}: ${s.reason}`);
  for (const f of macro.failures)
    lines.push('', `- **${f.target} failed** (${f.layout}): \`${oneLine(f.error)}\``);
  return lines.join('\n');
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').slice(0, 400);

const isRecordList = (value: unknown): value is Record<string, unknown>[] =>
  Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'object' && v !== null);

/** A micro benchmark's result: scalar fields as a key/value table, lists of records as tables of their own. */
function renderValue(value: unknown): string {
  if (isRecordList(value)) {
    const columns = [...new Set(value.flatMap((v) => Object.keys(v)))];
    return table(
      columns,
      value.map((v) => columns.map((c) => String(v[c] ?? ''))),
    );
  }
  if (typeof value !== 'object' || value === null) return `\`${String(value)}\``;
  const entries = Object.entries(value);
  const lists = entries.filter(([, v]) => isRecordList(v));
  const scalars = entries.filter(([, v]) => !isRecordList(v));
  return [
    table(
      ['', ''],
      scalars.map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]),
    ),
    ...lists.map(([k, v]) => `${k}:\n\n${renderValue(v)}`),
  ].join('\n\n');
}

function microSection(micro: MicroResult[]): string {
  if (micro.length === 0) return '';
  const parts = ['## Micro benchmarks'];
  for (const m of micro) {
    parts.push('', `### ${m.name}()`, '');
    parts.push(m.status === 'ok' ? renderValue(m.result) : `${m.status}: \`${oneLine(m.error ?? '')}\``);
  }
  return parts.join('\n');
}

/** The report as markdown (also printed to stdout). */
export function renderMarkdown(report: BenchReport, options: BenchOptions): string {
  return `${[
    header(report, options),
    goalsSection(report.goals),
    report.macro ? variantSection(report, options) : '',
    connectionSection(report.connectionCosts),
    scaleSection(report.scale),
    microSection(report.micro),
    targetsSection(report),
  ]
    .filter(Boolean)
    .join('\n\n')}\n`;
}

/** Writes `<dir>/<timestamp>.json` and `.md`; returns their paths. */
export async function writeReport(report: BenchReport, markdown: string, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const stamp = report.startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const paths = [join(dir, `${stamp}.json`), join(dir, `${stamp}.md`)];
  await writeFile(paths[0]!, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(paths[1]!, markdown);
  return paths;
}
