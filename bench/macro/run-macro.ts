import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchOptions, type Variant, variantId } from '../options.js';
import { treesCpuMicros } from './cpu.js';
import { checkEquivalence, type EquivalenceCheck } from './equivalence.js';
import { allCpus, type CoreLayout } from './layout.js';
import { startOrigin } from './origin.js';
import type { Supervisor } from './processes.js';
import { waitUntilQuiet } from './quiet.js';
import { caddy } from './targets/caddy.js';
import { direct } from './targets/direct.js';
import { haproxy } from './targets/haproxy.js';
import { nginx } from './targets/nginx.js';
import { nodeHttp } from './targets/node-http.js';
import { swarmgate } from './targets/swarmgate.js';
import type { RunningTarget, Target } from './targets/target.js';
import { runWrk, type WrkResult } from './wrk.js';

/** Every target, in the order they alternate within a repetition. */
export const allTargets: Target[] = [direct, nodeHttp, nginx, haproxy, caddy, swarmgate];

const originListeners = 2;
/** Longest wait for the targets to fall quiet before a run; what they still use shows in `othersCpuMicros`. */
const quietTimeoutMs = 5_000;

/** One measured wrk run through one target. */
export interface Sample {
  target: string;
  variant: string;
  rep: number;
  wrk: WrkResult;
  /** CPU used by the target's process tree during the run (the origin's, for `direct`). */
  cpuMicros: number;
  /** CPU used meanwhile by the other targets, which sit idle on the same cores and should use none. */
  othersCpuMicros: number;
  wallS: number;
}

/** Everything the macro benchmark observed, raw. */
export interface MacroResult {
  samples: Sample[];
  checks: (EquivalenceCheck & { layout: string })[];
  /** Targets that could not run here at all (not installed, not built). */
  skipped: { target: string; reason: string }[];
  /** Targets that failed to start or died during a layout. */
  failures: { target: string; layout: string; error: string }[];
}

/**
 * Runs the macro benchmark: for each core layout, starts every available target in front of one shared
 * origin, checks their configs behave alike, then for each variant alternates the targets within every
 * repetition (A B C A B C …) so slow drifts of a noisy machine hit all of them alike.
 */
export async function runMacro(
  options: BenchOptions,
  supervisor: Supervisor,
  repoRoot: string,
  log: (line: string) => void,
): Promise<MacroResult> {
  const result: MacroResult = { samples: [], checks: [], skipped: [], failures: [] };
  const wanted = allTargets.filter((t) => !options.targets || options.targets.includes(t.name));
  const targets = wanted.filter((t) => {
    const reason = t.unavailable(repoRoot);
    if (reason) result.skipped.push({ target: t.name, reason });
    return !reason;
  });
  for (const s of result.skipped) log(`skipping ${s.target}: ${s.reason}`);
  const layouts = [...new Set(options.variants.map((v) => v.layout))];
  const totalRuns = options.variants.length * options.reps * targets.length;
  let runNumber = 0;

  const origin = await startOrigin(supervisor, originListeners);
  const scratch = await mkdtemp(join(tmpdir(), 'swarmgate-bench-'));
  supervisor.removeOnExit(scratch);
  try {
    for (const layout of layouts) {
      await origin.pin(layout.loadCpus ?? allCpus);
      const running = new Map<Target, RunningTarget>();
      for (const target of targets) {
        const dir = join(scratch, layout.id, target.name);
        await mkdir(dir, { recursive: true });
        try {
          const started = await target.start({ supervisor, origin, layout, dir, repoRoot });
          running.set(target, started);
          const check = await checkEquivalence(target, started);
          result.checks.push({ layout: layout.id, ...check });
          log(`${layout.id} ${target.name}: ${check.ok ? 'ok' : 'CHECK FAILED'} — ${check.detail}`);
        } catch (error) {
          fail(result, target, layout, error, log);
        }
      }
      for (const variant of options.variants.filter((v) => v.layout === layout)) {
        for (let rep = 0; rep < options.reps; rep++) {
          for (const [target, started] of running) {
            runNumber++;
            // The origin is under load in every run: it is not an idle target even though `direct` runs it.
            const others = [...running.values()]
              .map((r) => r.process.pid)
              .filter((pid) => pid !== started.process.pid && pid !== origin.process.pid);
            try {
              // Before every repetition, not only the first: a target sits idle while the others run,
              // and a JIT runtime's first second after idling is slower (see docs/benchmarks.md).
              await load(supervisor, started, others, variant, options.warmupS);
              await waitUntilQuiet([started.process.pid, ...others], quietTimeoutMs);
              const sample = await load(supervisor, started, others, variant, options.durationS);
              result.samples.push({ target: target.name, variant: variantId(variant), rep, ...sample });
              log(progress(runNumber, totalRuns, variant, rep, options.reps, target.name, sample));
            } catch (error) {
              fail(result, target, layout, error, log);
              running.delete(target);
              await started.stop();
            }
          }
        }
      }
      for (const started of running.values()) await started.stop();
    }
  } finally {
    await supervisor.stop(origin.process);
    await rm(scratch, { recursive: true, force: true });
  }
  return result;
}

async function load(
  supervisor: Supervisor,
  target: RunningTarget,
  others: number[],
  variant: Variant,
  durationS: number,
): Promise<Omit<Sample, 'target' | 'variant' | 'rep'>> {
  if (!target.process.running()) throw new Error(`exited: ${target.process.output().trim()}`);
  await target.beforeRun?.();
  try {
    const cpuBefore = treesCpuMicros([target.process.pid]);
    const othersBefore = treesCpuMicros(others);
    const started = performance.now();
    const wrk = await runWrk(supervisor, {
      port: target.port,
      connections: variant.connections,
      threads: variant.layout.wrkThreads,
      durationS,
      close: variant.close,
      cpus: variant.layout.loadCpus,
    });
    const wallS = (performance.now() - started) / 1e3;
    return {
      wrk,
      cpuMicros: treesCpuMicros([target.process.pid]) - cpuBefore,
      othersCpuMicros: treesCpuMicros(others) - othersBefore,
      wallS,
    };
  } finally {
    await target.afterRun?.();
  }
}

function fail(
  result: MacroResult,
  target: Target,
  layout: CoreLayout,
  error: unknown,
  log: (l: string) => void,
) {
  const message = error instanceof Error ? error.message : String(error);
  result.failures.push({ target: target.name, layout: layout.id, error: message.slice(0, 2000) });
  log(`${layout.id} ${target.name}: FAILED — ${message.slice(0, 500)}`);
}

function progress(
  n: number,
  total: number,
  variant: Variant,
  rep: number,
  reps: number,
  target: string,
  sample: Omit<Sample, 'target' | 'variant' | 'rep'>,
): string {
  const { rps, p99Ms, requests } = sample.wrk;
  return [
    `[${String(n).padStart(3)}/${total}]`,
    variantId(variant).padEnd(20),
    `rep ${rep + 1}/${reps}`,
    target.padEnd(10),
    `${Math.round(rps).toLocaleString('en-US').padStart(7)} req/s`,
    `p99 ${p99Ms.toFixed(2).padStart(7)} ms`,
    `${(sample.cpuMicros / Math.max(requests, 1)).toFixed(1).padStart(6)} µs/req`,
    `others ${(sample.othersCpuMicros / 1e6 / sample.wallS).toFixed(2)} cores`,
  ].join('  ');
}
