import type { GoalResult } from '../goals.js';
import type { ScaleResult, ScaleSizes } from './scale-result.js';

const subject = 'swarmgate';
const reference = 'nginx';
/** The bare node:http proxy (`node-http-proxy.ts`): what node's HTTP layer alone costs, shown beside. */
export const floor = 'node-http';

/** Memory per connection or socket may be at most this many times nginx's. */
export const maxMemoryRatio = 3;
/** Upload and download throughput must reach this share of nginx's. */
export const minTransferRatio = 0.7;
/** "Flat memory": the peak RSS growth during a large body stays under this, whatever the body's size. */
export const maxTransferGrowthBytes = 64 * 2 ** 20;
/** p99 around the table swap may be at most this many times the p99 before it. */
export const maxSwapSpike = 2;

const MiB = 2 ** 20;
const count = (n: number) => n.toLocaleString('en-US');
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
/** `1 GiB`, `256 MiB`: a body size as the goals and the report name it. */
export const sizeLabel = (bytes: number) =>
  bytes >= 2 ** 30 ? `${bytes / 2 ** 30} GiB` : `${bytes / MiB} MiB`;
const na = (goal: string, measured: string): GoalResult => ({ goal, measured, status: 'N/A' });
const verdict = (ok: boolean): GoalResult['status'] => (ok ? 'PASS' : 'MISS');

/** The goals' wording, with the sizes this run used (smaller with `--quick`). */
export function scaleGoalNames(sizes: ScaleSizes) {
  return {
    idle: `${count(sizes.idleConnections)} idle keep-alive connections: RSS per connection ≤ ${maxMemoryRatio}× nginx`,
    websocket:
      `${count(sizes.websockets)} WebSockets, a message per ${sizes.websocketIntervalMs / 1e3} s each: ` +
      `RSS per socket ≤ ${maxMemoryRatio}× nginx, every echo back`,
    upload: `${sizeLabel(sizes.transferBytes)} upload: ≥ ${minTransferRatio}× nginx throughput, peak RSS growth ≤ ${mib(maxTransferGrowthBytes)}`,
    download: `${sizeLabel(sizes.transferBytes)} download: ≥ ${minTransferRatio}× nginx throughput, peak RSS growth ≤ ${mib(maxTransferGrowthBytes)}`,
    swap:
      `${count(sizes.routes)} routes × ${sizes.upstreams} upstreams swapped under load: ` +
      `worst 1-second p99 around the swap ≤ ${maxSwapSpike}× before`,
  };
}

function pair<T extends { target: string }>(
  rows: T[],
  failures: ScaleResult['failures'],
  row: string,
): [T, T] | string {
  const ours = rows.find((r) => r.target === subject);
  const theirs = rows.find((r) => r.target === reference);
  if (ours && theirs) return [ours, theirs];
  const missing = ours ? reference : subject;
  const failure = failures.find((f) => f.row === row && f.target === missing);
  return failure ? `${missing} failed: ${failure.error.slice(0, 200)}` : `no ${missing} result`;
}

function idleGoal(scale: ScaleResult, goal: string): GoalResult {
  const found = pair(scale.idle, scale.failures, 'idle');
  if (typeof found === 'string') return na(goal, found);
  const [ours, theirs] = found;
  const held = [ours, theirs]
    .filter((r) => r.held < r.connections)
    .map((r) => `; ${r.target} held only ${count(r.held)}`);
  if (theirs.perConnectionBytes <= 0)
    return na(goal, `nginx's RSS did not grow (${kib(theirs.perConnectionBytes)} per connection)`);
  const ratio = ours.perConnectionBytes / theirs.perConnectionBytes;
  const bare = scale.idle.find((r) => r.target === floor);
  const floorText = bare
    ? `; bare node:http ${kib(bare.perConnectionBytes)}, ${(bare.perConnectionBytes / theirs.perConnectionBytes).toFixed(2)}× nginx`
    : '';
  return {
    goal,
    measured: `${ratio.toFixed(2)}× (${kib(ours.perConnectionBytes)} vs ${kib(theirs.perConnectionBytes)} per connection${floorText}${held.join('')})`,
    status: verdict(ratio <= maxMemoryRatio && held.length === 0),
  };
}

function websocketGoal(scale: ScaleResult, goal: string): GoalResult {
  const found = pair(scale.websocket, scale.failures, 'websocket');
  if (typeof found === 'string') return na(goal, found);
  const [ours, theirs] = found;
  if (theirs.perSocketBytes <= 0)
    return na(goal, `nginx's RSS did not grow (${kib(theirs.perSocketBytes)} per socket)`);
  const ratio = ours.perSocketBytes / theirs.perSocketBytes;
  const lost = [ours, theirs]
    .filter((r) => r.echoed < r.sent || r.sent === 0 || r.held < r.connections)
    .map(
      (r) =>
        `; ${r.target} echoed ${count(r.echoed)}/${count(r.sent)}, held ${count(r.held)}/${count(r.connections)}`,
    );
  const cores = (r: { cpuS: number; wallS: number }) => (r.cpuS / Math.max(r.wallS, 1e-3)).toFixed(3);
  return {
    goal,
    measured:
      `${ratio.toFixed(2)}× (${kib(ours.perSocketBytes)} vs ${kib(theirs.perSocketBytes)} per socket); ` +
      `echo p99 ${ours.p99Ms.toFixed(2)} vs ${theirs.p99Ms.toFixed(2)} ms; ` +
      `CPU ${cores(ours)} vs ${cores(theirs)} cores${lost.join('')}`,
    status: verdict(ratio <= maxMemoryRatio && lost.length === 0),
  };
}

function transferGoal(scale: ScaleResult, goal: string, direction: 'upload' | 'download'): GoalResult {
  const rows = scale.transfer.filter((r) => r.direction === direction);
  const found = pair(rows, scale.failures, direction);
  if (typeof found === 'string') return na(goal, found);
  const [ours, theirs] = found;
  const failed = [ours, theirs]
    .filter((r) => r.status !== 200)
    .map((r) => `; ${r.target} answered ${r.status}`);
  const ratio = ours.throughput / theirs.throughput;
  const bare = rows.find((r) => r.target === floor);
  const floorText = bare
    ? `; bare node:http proxy ${(bare.throughput / MiB).toFixed(0)} MiB/s, ${(bare.throughput / theirs.throughput).toFixed(2)}× nginx`
    : '';
  return {
    goal,
    measured:
      `${ratio.toFixed(2)}× (${(ours.throughput / MiB).toFixed(0)} vs ${(theirs.throughput / MiB).toFixed(0)} MiB/s${floorText}); ` +
      `peak RSS growth ${mib(ours.peakGrowthBytes)} (nginx ${mib(theirs.peakGrowthBytes)})${failed.join('')}`,
    status: verdict(
      ratio >= minTransferRatio && ours.peakGrowthBytes <= maxTransferGrowthBytes && failed.length === 0,
    ),
  };
}

function swapGoal(scale: ScaleResult, goal: string): GoalResult {
  const ours = scale.swap.find((r) => r.target === subject);
  if (!ours) {
    const failure = scale.failures.find((f) => f.row === 'swap' && f.target === subject);
    return na(goal, failure ? `${subject} failed: ${failure.error.slice(0, 200)}` : `no ${subject} result`);
  }
  const spike = ours.aroundP99Ms / Math.max(ours.beforeP99Ms, 1e-3);
  const theirs = scale.swap.find((r) => r.target === reference);
  const nginx = theirs
    ? `; nginx reload ${(theirs.aroundP99Ms / Math.max(theirs.beforeP99Ms, 1e-3)).toFixed(2)}× (${theirs.beforeP99Ms.toFixed(2)} → ${theirs.aroundP99Ms.toFixed(2)} ms, ${theirs.errors} errors)`
    : '';
  const applied =
    ours.appliedAfterMs === undefined ? 'not applied' : `served after ${ours.appliedAfterMs.toFixed(0)} ms`;
  return {
    goal,
    measured:
      `${spike.toFixed(2)}× (${ours.beforeP99Ms.toFixed(2)} → ${ours.aroundP99Ms.toFixed(2)} ms over ${ours.aroundS.toFixed(1)} s, ` +
      `max ${ours.aroundMaxMs.toFixed(1)} ms; ` +
      `${applied}; ${ours.errors} errors)${nginx}`,
    status: verdict(spike <= maxSwapSpike && ours.errors === 0 && ours.appliedAfterMs !== undefined),
  };
}

/** The scale rows' goals, none when the rows did not run (`--only`, `--skip-scale`). */
export function evaluateScaleGoals(scale: ScaleResult | undefined): GoalResult[] {
  if (!scale) return [];
  const names = scaleGoalNames(scale.sizes);
  return [
    idleGoal(scale, names.idle),
    websocketGoal(scale, names.websocket),
    transferGoal(scale, names.upload, 'upload'),
    transferGoal(scale, names.download, 'download'),
    swapGoal(scale, names.swap),
  ];
}
