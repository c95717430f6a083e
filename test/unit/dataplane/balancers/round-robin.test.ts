import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBalancer } from '../../../../src/dataplane/balancers/balancer.js';
import { Candidate } from './candidates.js';
import { runBalancerConformance } from './conformance.js';

runBalancerConformance('round-robin', () => createBalancer('round-robin'));

const ids = (picks: (Candidate | undefined)[]): string[] => picks.map((c) => c?.id ?? '-');

test('round-robin: cycles through the candidates in order', () => {
  const balancer = createBalancer('round-robin');
  const candidates = ['a', 'b', 'c'].map((id) => new Candidate(id));
  const picks = Array.from({ length: 7 }, () => balancer.pick(candidates));
  assert.deepEqual(ids(picks), ['a', 'b', 'c', 'a', 'b', 'c', 'a']);
});

test('round-robin: ignores in-flight counts', () => {
  const balancer = createBalancer('round-robin');
  const candidates = [new Candidate('a', 100), new Candidate('b', 0)];
  const picks = Array.from({ length: 4 }, () => balancer.pick(candidates));
  assert.deepEqual(ids(picks), ['a', 'b', 'a', 'b']);
});

test('round-robin: skips unavailable and excluded candidates without losing its place', () => {
  const balancer = createBalancer('round-robin');
  const candidates = ['a', 'b', 'c', 'd'].map((id) => new Candidate(id));
  candidates[1]!.up = false;
  const exclude = new Set(['c']);
  const picks = Array.from({ length: 4 }, () => balancer.pick(candidates, exclude));
  assert.deepEqual(ids(picks), ['a', 'd', 'a', 'd']);
  candidates[1]!.up = true;
  assert.deepEqual(ids(Array.from({ length: 4 }, () => balancer.pick(candidates))), ['a', 'b', 'c', 'd']);
});
