import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateGoals } from '../../../bench/goals.js';
import type { Sample } from '../../../bench/macro/run-macro.js';
import { repetitionRatios, summarize } from '../../../bench/macro/summary.js';

const variant = '2core-64-keepalive';

function sample(target: string, rep: number, rps: number, p99Ms: number): Sample {
  return {
    target,
    variant,
    rep,
    wrk: {
      requests: rps * 5,
      durationS: 5,
      rps,
      p50Ms: p99Ms / 4,
      p99Ms,
      non2xx: 0,
      socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
    },
    cpuMicros: rps * 5 * 50,
    othersCpuMicros: 0,
    wallS: 5,
  };
}

// Three repetitions in the bench's order: the targets alternate within each one.
const samples = [
  sample('nginx', 0, 20_000, 6),
  sample('swarmgate', 0, 10_000, 12),
  sample('nginx', 1, 25_000, 5),
  sample('swarmgate', 1, 15_000, 10),
  sample('nginx', 2, 24_000, 8),
  sample('swarmgate', 2, 12_000, 12),
];

test('repetitionRatios pairs the two targets run by run, sorted', () => {
  assert.deepEqual(repetitionRatios(samples, variant, 'swarmgate', 'nginx', 'rps'), [0.5, 0.5, 0.6]);
  assert.deepEqual(repetitionRatios(samples, variant, 'swarmgate', 'nginx', 'p99Ms'), [1.5, 2, 2]);
});

test('repetitionRatios skips a repetition the reference did not finish', () => {
  const partial = samples.filter((s) => !(s.target === 'nginx' && s.rep === 1));
  assert.deepEqual(repetitionRatios(partial, variant, 'swarmgate', 'nginx', 'rps'), [0.5, 0.5]);
  assert.deepEqual(repetitionRatios(partial, 'other-variant', 'swarmgate', 'nginx', 'rps'), []);
});

test('goals judge the ratio of the medians and show the per-repetition range beside it', () => {
  const goals = evaluateGoals(summarize(samples), samples, [], undefined);
  const workers = goals.find((g) => g.goal.startsWith('--workers 2'));
  // Medians: 12,000 vs 24,000 req/s = 0.50×, below 0.55×, though one repetition reached 0.60×.
  assert.deepEqual(workers, {
    goal: '--workers 2: ≥ 0.55× nginx req/s on 2 cores (64 conns)',
    measured: '0.50× (12000 vs 24000 req/s; per repetition 0.50–0.60×)',
    status: 'MISS',
  });
  const tail = goals.find((g) => g.goal === 'p99 ≤ 3× nginx at 64 conns (2 cores)');
  assert.equal(tail?.measured, '2.00× (12.00 vs 6.00 ms; per repetition 1.50–2.00×)');
  assert.equal(tail?.status, 'PASS');
});

test('a single repetition shows no range', () => {
  const one = samples.filter((s) => s.rep === 0);
  const goals = evaluateGoals(summarize(one), one, [], undefined);
  const workers = goals.find((g) => g.goal.startsWith('--workers 2'));
  assert.equal(workers?.measured, '0.50× (10000 vs 20000 req/s)');
});
