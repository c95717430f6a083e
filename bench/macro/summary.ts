import { type Variant, variantId } from '../options.js';
import type { Sample } from './run-macro.js';

/** The median of a (variant, target)'s repetitions. */
export interface Summary {
  variant: string;
  target: string;
  reps: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx responses plus socket errors, summed over the repetitions. */
  errors: number;
  /** Target CPU (user + system) per request, in µs. */
  cpuPerRequestUs: number;
  /** Target CPU time ÷ wall time: how many cores it kept busy (≈ its limit when it is the bottleneck). */
  coresBusy: number;
  /** The other (idle) targets' CPU time ÷ wall time during the runs: interference, ideally 0. */
  othersCoresBusy: number;
}

/** How much more CPU a request costs when it arrives on a new client connection (`Connection: close`). */
export interface ConnectionCost {
  layout: string;
  connections: number;
  target: string;
  keepAliveUs: number;
  closeUs: number;
  /** `closeUs − keepAliveUs`: the CPU cost of accepting and closing one client connection. */
  extraPerConnectionUs: number;
}

/** Median; the mean of the middle two for an even count. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Groups samples by (variant, target), in first-seen order, and takes medians. */
export function summarize(samples: Sample[]): Summary[] {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = `${s.variant}\n${s.target}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()].map((group) => ({
    variant: group[0]!.variant,
    target: group[0]!.target,
    reps: group.length,
    rps: median(group.map((s) => s.wrk.rps)),
    p50Ms: median(group.map((s) => s.wrk.p50Ms)),
    p99Ms: median(group.map((s) => s.wrk.p99Ms)),
    errors: group.reduce((sum, s) => {
      const e = s.wrk.socketErrors;
      return sum + s.wrk.non2xx + e.connect + e.read + e.write + e.timeout;
    }, 0),
    cpuPerRequestUs: median(group.map((s) => s.cpuMicros / Math.max(s.wrk.requests, 1))),
    coresBusy: median(group.map((s) => s.cpuMicros / 1e6 / s.wallS)),
    othersCoresBusy: median(group.map((s) => s.othersCpuMicros / 1e6 / s.wallS)),
  }));
}

/** The summary of `target` in `variant`, if it ran. */
export function find(summaries: Summary[], variant: string, target: string): Summary | undefined {
  return summaries.find((s) => s.variant === variant && s.target === target);
}

/** Pairs each `Connection: close` variant with the keep-alive variant of the same layout and connections. */
export function connectionCosts(summaries: Summary[], variants: Variant[]): ConnectionCost[] {
  const costs: ConnectionCost[] = [];
  for (const closing of variants.filter((v) => v.close)) {
    const keepAliveId = variantId({ ...closing, close: false });
    for (const close of summaries.filter((s) => s.variant === variantId(closing))) {
      const kept = find(summaries, keepAliveId, close.target);
      if (!kept) continue;
      costs.push({
        layout: closing.layout.id,
        connections: closing.connections,
        target: close.target,
        keepAliveUs: kept.cpuPerRequestUs,
        closeUs: close.cpuPerRequestUs,
        extraPerConnectionUs: close.cpuPerRequestUs - kept.cpuPerRequestUs,
      });
    }
  }
  return costs;
}

/**
 * `ours ÷ theirs` of one wrk metric per repetition of `variant`, pairing the two targets' runs of the same
 * repetition (they ran back to back, so a machine drift hits both). Sorted ascending; shows how much a
 * median ratio could move on this machine.
 */
export function repetitionRatios(
  samples: Sample[],
  variant: string,
  ours: string,
  theirs: string,
  metric: 'rps' | 'p99Ms',
): number[] {
  const ratios: number[] = [];
  for (const mine of samples) {
    if (mine.variant !== variant || mine.target !== ours) continue;
    const other = samples.find((s) => s.variant === variant && s.target === theirs && s.rep === mine.rep);
    if (other && other.wrk[metric] > 0) ratios.push(mine.wrk[metric] / other.wrk[metric]);
  }
  return ratios.sort((a, b) => a - b);
}
