import type { Sample } from './macro/run-macro.js';
import { type ConnectionCost, find, repetitionRatios, type Summary } from './macro/summary.js';
import type { TranslateTime } from './micro.js';
import { evaluateScaleGoals } from './scale/scale-goals.js';
import type { ScaleResult } from './scale/scale-result.js';

/** One performance goal and how this run measured against it. */
export interface GoalResult {
  goal: string;
  measured: string;
  /** `N/A` when the run lacks the data (target skipped or failed, variant not run). */
  status: 'PASS' | 'MISS' | 'N/A';
}

const subject = 'swarmgate';
const reference = 'nginx';

const na = (goal: string, why: string): GoalResult => ({ goal, measured: why, status: 'N/A' });
const verdict = (ok: boolean): GoalResult['status'] => (ok ? 'PASS' : 'MISS');

/** `; per repetition 0.50–0.61×` when the variant ran more than once, else nothing. */
function spread(samples: Sample[], variant: string, metric: 'rps' | 'p99Ms'): string {
  const ratios = repetitionRatios(samples, variant, subject, reference, metric);
  if (ratios.length < 2) return '';
  return `; per repetition ${ratios[0]!.toFixed(2)}–${ratios[ratios.length - 1]!.toFixed(2)}×`;
}

function pair(summaries: Summary[], variant: string): [Summary, Summary] | string {
  const ours = find(summaries, variant, subject);
  const theirs = find(summaries, variant, reference);
  if (!ours || !theirs) return `no ${ours ? reference : subject} result for ${variant}`;
  return [ours, theirs];
}

/** req/s ratio of the medians; a run with errors misses, since fast error answers would inflate req/s. */
function throughput(
  summaries: Summary[],
  samples: Sample[],
  goal: string,
  variant: string,
  min: number,
): GoalResult {
  const found = pair(summaries, variant);
  if (typeof found === 'string') return na(goal, found);
  const [ours, theirs] = found;
  const ratio = ours.rps / theirs.rps;
  const errors = ours.errors > 0 ? `, ${ours.errors} errors` : '';
  return {
    goal,
    measured: `${ratio.toFixed(2)}× (${Math.round(ours.rps)} vs ${Math.round(theirs.rps)} req/s${errors}${spread(samples, variant, 'rps')})`,
    status: verdict(ratio >= min && ours.errors === 0),
  };
}

function tailLatency(
  summaries: Summary[],
  samples: Sample[],
  goal: string,
  variant: string,
  max: number,
): GoalResult {
  const found = pair(summaries, variant);
  if (typeof found === 'string') return na(goal, found);
  const [ours, theirs] = found;
  const ratio = ours.p99Ms / theirs.p99Ms;
  return {
    goal,
    measured: `${ratio.toFixed(2)}× (${ours.p99Ms.toFixed(2)} vs ${theirs.p99Ms.toFixed(2)} ms${spread(samples, variant, 'p99Ms')})`,
    status: verdict(ratio <= max),
  };
}

function connectionCost(costs: ConnectionCost[], goal: string, layout: string, maxUs: number): GoalResult {
  const cost = costs.find((c) => c.target === subject && c.layout === layout && c.connections === 64);
  if (!cost) return na(goal, `no ${subject} keep-alive/close pair for ${layout}, 64 connections`);
  const nginxCost = costs.find((c) => c.target === reference && c.layout === layout && c.connections === 64);
  const floor = costs.find((c) => c.target === 'node-http' && c.layout === layout && c.connections === 64);
  const context = [
    nginxCost ? `; nginx ${nginxCost.extraPerConnectionUs.toFixed(1)} µs` : '',
    floor ? `; a bare node:http server ${floor.extraPerConnectionUs.toFixed(1)} µs` : '',
  ].join('');
  if (cost.extraPerConnectionUs < 0) {
    // Keep-alive cost more per request than close: the difference does not isolate the connection cost.
    return na(
      goal,
      `${cost.extraPerConnectionUs.toFixed(1)} µs: keep-alive costlier than close, not measurable${context}`,
    );
  }
  return {
    goal,
    measured: `${cost.extraPerConnectionUs.toFixed(1)} µs${context}`,
    status: verdict(cost.extraPerConnectionUs <= maxUs),
  };
}

function translateGoal(time: TranslateTime | undefined): GoalResult {
  const goal = 'translate 1,000 services × 5 tasks < 50 ms';
  if (time === undefined) return na(goal, 'benchTranslate() did not run');
  const cpu = time.cpuMs === undefined ? '' : `, CPU ${time.cpuMs.toFixed(1)} ms`;
  return { goal, measured: `${time.ms.toFixed(1)} ms median wall time${cpu}`, status: verdict(time.ms < 50) };
}

/**
 * Checks the goals: swarmgate against nginx in the macro benchmark, the translate time, and the scale
 * rows (`scale/scale-goals.ts`) when they ran. The macro verdicts compare medians; the per-repetition
 * range beside them shows how firm that verdict is on a noisy machine.
 */
export function evaluateGoals(
  summaries: Summary[],
  samples: Sample[],
  costs: ConnectionCost[],
  translate: TranslateTime | undefined,
  scale?: ScaleResult,
): GoalResult[] {
  return [
    throughput(
      summaries,
      samples,
      '1 core, sticky on: ≥ 0.45× nginx req/s (64 conns)',
      '1core-64-keepalive',
      0.45,
    ),
    tailLatency(summaries, samples, 'p99 ≤ 3× nginx at 64 conns (1 core)', '1core-64-keepalive', 3),
    tailLatency(summaries, samples, 'p99 ≤ 3× nginx at 64 conns (2 cores)', '2core-64-keepalive', 3),
    connectionCost(costs, '≤ 100 µs extra CPU per new client connection (1 core)', '1core', 100),
    throughput(
      summaries,
      samples,
      '--workers 2: ≥ 0.55× nginx req/s on 2 cores (64 conns)',
      '2core-64-keepalive',
      0.55,
    ),
    translateGoal(translate),
    ...evaluateScaleGoals(scale),
  ];
}
