import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quantile, swapWindows, windowLatency } from '../../../../bench/scale/scale-result.js';

test('quantile picks from sorted values and is 0 for none', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(quantile(values, 0.99), 100);
  assert.equal(quantile(values, 0.5), 51);
  assert.equal(quantile([], 0.99), 0);
});

test('windowLatency counts requests by when they ended, [from, to)', () => {
  const ends = [100, 200, 300, 400];
  const latencies = [1, 50, 3, 4];
  assert.deepEqual(windowLatency(ends, latencies, 200, 400), { p99Ms: 50, maxMs: 50, count: 2 });
  assert.deepEqual(windowLatency(ends, latencies, 500, 600), { p99Ms: 0, maxMs: 0, count: 0 });
});

test('swapWindows compares the 5 s from 1 s before the swap with the 5 s before those', () => {
  const swapMs = 100_000;
  // One request per 10 ms from 10 s before the swap to 10 s after; 10 slow ones just after the swap.
  const ends: number[] = [];
  const latencies: number[] = [];
  for (let t = swapMs - 10_000; t < swapMs + 10_000; t += 10) {
    ends.push(t);
    latencies.push(t >= swapMs && t < swapMs + 100 ? 80 : 2);
  }
  const { before, around } = swapWindows(ends, latencies, swapMs);
  assert.equal(before.count, 500);
  assert.equal(before.p99Ms, 2);
  assert.equal(around.count, 500);
  assert.equal(around.p99Ms, 80);
  assert.equal(around.maxMs, 80);
  assert.equal(around.seconds, 5);
});

test('the window around a swap reaches 2 s past the moment the new table was served', () => {
  const swapMs = 100_000;
  const ends: number[] = [];
  const latencies: number[] = [];
  for (let t = swapMs - 10_000; t < swapMs + 15_000; t += 10) {
    ends.push(t);
    // The gateway served the new table 8 s after the swap and stalled just before.
    latencies.push(t >= swapMs + 7_800 && t < swapMs + 8_000 ? 500 : 2);
  }
  const late = swapWindows(ends, latencies, swapMs, swapMs + 8_000);
  assert.equal(late.around.seconds, 11);
  assert.equal(late.around.p99Ms, 500);
  // A fixed 5 s window would not have seen it.
  assert.equal(swapWindows(ends, latencies, swapMs).around.p99Ms, 2);
});

test('a stall that delays one request per connection shows in the worst second, not in a 5 s p99', () => {
  const swapMs = 100_000;
  const ends: number[] = [];
  const latencies: number[] = [];
  for (let t = swapMs - 10_000; t < swapMs + 10_000; t += 1) {
    ends.push(t);
    latencies.push(2);
  }
  // 30 connections were each waiting on one request through a 0.9 s stall just after the swap.
  for (let c = 0; c < 30; c++) {
    ends.push(swapMs + 1_000);
    latencies.push(900);
  }
  const { around } = swapWindows(ends, latencies, swapMs);
  // 30 of 5,030 requests (0.6%) over the window, but 30 of 1,030 in their second.
  assert.equal(around.p99Ms, 900);
  assert.equal(around.count, 5_030);
});
