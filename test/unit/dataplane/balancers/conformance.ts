import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Balancer } from '../../../../src/dataplane/balancers/balancer.js';
import { Candidate } from './candidates.js';

/**
 * What every balancing policy must do. Each policy's test file calls this with a factory that makes a
 * fresh balancer (with a seeded random source where the policy uses one).
 */
export function runBalancerConformance(name: string, factory: () => Balancer): void {
  describe(`balancer conformance: ${name}`, () => {
    test('picks only available, non-excluded candidates, and undefined exactly when there is none', () => {
      const candidateArb = fc.record({ inflight: fc.nat(20), up: fc.boolean(), excluded: fc.boolean() });
      fc.assert(
        fc.property(fc.array(candidateArb, { maxLength: 12 }), fc.nat(5), (specs, rounds) => {
          const balancer = factory();
          const candidates = specs.map((s, i) => new Candidate(`u${i}`, s.inflight, s.up));
          const exclude = new Set(specs.flatMap((s, i) => (s.excluded ? [`u${i}`] : [])));
          const eligible = candidates.filter((c) => c.up && !exclude.has(c.id));
          for (let i = 0; i <= rounds; i++) {
            const picked = balancer.pick(candidates, exclude);
            if (eligible.length === 0) assert.equal(picked, undefined);
            else assert.ok(picked !== undefined && eligible.includes(picked));
          }
        }),
      );
    });

    test('returns undefined for no candidates, all unavailable, or all excluded', () => {
      const balancer = factory();
      assert.equal(balancer.pick([]), undefined);
      assert.equal(balancer.pick([new Candidate('a', 0, false), new Candidate('b', 0, false)]), undefined);
      assert.equal(balancer.pick([new Candidate('a'), new Candidate('b')], new Set(['a', 'b'])), undefined);
    });

    test('a single available candidate is always the pick', () => {
      const balancer = factory();
      const only = new Candidate('only', 7);
      const down = new Candidate('down', 0, false);
      for (let i = 0; i < 20; i++) {
        assert.equal(balancer.pick([only]), only);
        assert.equal(balancer.pick([down, only]), only);
      }
    });

    test('spreads picks over every available candidate', () => {
      const balancer = factory();
      const candidates = ['a', 'b', 'c', 'd', 'e'].map((id) => new Candidate(id));
      candidates.push(new Candidate('down', 0, false));
      const counts = new Map<string, number>();
      for (let i = 0; i < 1_000; i++) {
        const picked = balancer.pick(candidates)!;
        counts.set(picked.id, (counts.get(picked.id) ?? 0) + 1);
      }
      assert.deepEqual([...counts.keys()].sort(), ['a', 'b', 'c', 'd', 'e']);
      for (const count of counts.values()) assert.ok(count >= 100, `uneven spread: ${[...counts]}`);
    });

    test('stays correct when the candidate list changes between calls', () => {
      const balancer = factory();
      const lists = [
        ['a', 'b', 'c', 'd'].map((id) => new Candidate(id)),
        [new Candidate('x')],
        ['p', 'q'].map((id) => new Candidate(id)),
        [],
        ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id, i) => new Candidate(id, 0, i % 2 === 0)),
      ];
      for (let i = 0; i < 200; i++) {
        const list = lists[i % lists.length]!;
        const picked = balancer.pick(list);
        if (list.some((c) => c.up)) assert.ok(picked?.up && list.includes(picked));
        else assert.equal(picked, undefined);
      }
    });

    test('reflects availability changes on the same candidates', () => {
      const balancer = factory();
      const candidates = ['a', 'b', 'c'].map((id) => new Candidate(id));
      candidates[0]!.up = false;
      candidates[1]!.up = false;
      for (let i = 0; i < 10; i++) assert.equal(balancer.pick(candidates)?.id, 'c');
      candidates[0]!.up = true;
      candidates[2]!.up = false;
      for (let i = 0; i < 10; i++) assert.equal(balancer.pick(candidates)?.id, 'a');
    });
  });
}
