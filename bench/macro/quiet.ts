import { setTimeout as sleep } from 'node:timers/promises';
import { treeCpuMicros } from './cpu.js';

/** CPU time used so far by the process trees rooted at `roots`, in microseconds. */
export function treesCpuMicros(roots: number[]): number {
  return roots.reduce((sum, pid) => sum + treeCpuMicros(pid), 0);
}

const windowMs = 250;
/** At most one clock tick per window: /proc counts CPU in 10 ms ticks, so one tick may be a boundary. */
const quietMicros = 10_000;

/**
 * Waits until the process trees at `roots` use at most one clock tick of CPU in a 250 ms window, or
 * `timeoutMs` passes. All targets stay up during a layout, so a target that keeps working after its own
 * run (a garbage collector, a worker finishing off connections) would otherwise slow the next target's
 * run on the same cores. Resolves with how long it waited.
 */
export async function waitUntilQuiet(roots: number[], timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const before = treesCpuMicros(roots);
    await sleep(windowMs);
    const waited = performance.now() - started;
    if (treesCpuMicros(roots) - before <= quietMicros || waited >= timeoutMs) return waited;
  }
}
