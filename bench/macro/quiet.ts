import { setTimeout as sleep } from 'node:timers/promises';
import { treesCpuMicros } from './cpu.js';

const windowMs = 250;
/** At most one clock tick per window: /proc counts CPU in 10 ms ticks, so one tick may be a boundary. */
const quietMicros = 10_000;

/**
 * Waits until the process trees at `roots` use at most one clock tick of CPU in a 250 ms window, or
 * `timeoutMs` passes. All targets stay up during a layout, so a target that keeps working after its own
 * run (a garbage collector, a worker finishing off connections) would otherwise slow the next target's
 * run on the same cores.
 */
export async function waitUntilQuiet(roots: number[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const before = treesCpuMicros(roots);
    await sleep(windowMs);
    if (treesCpuMicros(roots) - before <= quietMicros || performance.now() >= deadline) return;
  }
}
