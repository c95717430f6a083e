import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBalancer } from '../../../../src/dataplane/balancers/balancer.js';
import { Candidate, seededRandom } from './candidates.js';
import { runBalancerConformance } from './conformance.js';

runBalancerConformance('least-requests', () => createBalancer('least-requests', { random: seededRandom(7) }));

test('least-requests: of two candidates the one with fewer requests in flight always wins', () => {
  const balancer = createBalancer('least-requests', { random: seededRandom(1) });
  const busy = new Candidate('busy', 5);
  const idle = new Candidate('idle', 1);
  for (let i = 0; i < 100; i++) assert.equal(balancer.pick([busy, idle]), idle);
});

test('least-requests: the single busiest candidate is never picked, the idlest is picked most', () => {
  const balancer = createBalancer('least-requests', { random: seededRandom(2) });
  const candidates = [
    new Candidate('a', 3),
    new Candidate('b', 0),
    new Candidate('c', 9),
    new Candidate('d', 3),
  ];
  const counts = new Map<string, number>();
  for (let i = 0; i < 2_000; i++) {
    const id = balancer.pick(candidates)!.id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  assert.equal(counts.get('c'), undefined);
  // 'b' wins every draw it is in: 1 - (3/4 · 2/3) = 1/2 of picks.
  const b = counts.get('b')!;
  assert.ok(b > 850 && b < 1_150, `b picked ${b} times`);
});

test('least-requests: ties are broken at random, not by position', () => {
  const balancer = createBalancer('least-requests', { random: seededRandom(3) });
  const candidates = [new Candidate('a', 2), new Candidate('b', 2)];
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) seen.add(balancer.pick(candidates)!.id);
  assert.deepEqual([...seen].sort(), ['a', 'b']);
});

test('least-requests: the two draws are distinct, so a lone idle candidate among equals is found', () => {
  // With the random source always 0, the first draw is rank 0 and the second must be another rank.
  const balancer = createBalancer('least-requests', { random: () => 0 });
  const candidates = [new Candidate('a', 4), new Candidate('b', 0)];
  assert.equal(balancer.pick(candidates)?.id, 'b');
});

test('least-requests: excluded candidates are skipped even when idlest', () => {
  const balancer = createBalancer('least-requests', { random: seededRandom(4) });
  const candidates = [new Candidate('a', 0), new Candidate('b', 6), new Candidate('c', 8)];
  for (let i = 0; i < 50; i++) assert.notEqual(balancer.pick(candidates, new Set(['a']))?.id, 'a');
});
