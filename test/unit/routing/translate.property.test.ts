import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { SwarmSnapshot } from '../../../src/discovery/snapshot.js';
import type { RoutingTable } from '../../../src/routing/table.js';
import { translate } from '../../../src/routing/translate.js';
import { contextArb, permutationArb, snapshotArb } from './snapshot-arbitrary.js';

test('translate does not depend on the order of services, tasks, nodes, networks or labels', () => {
  fc.assert(
    fc.property(
      snapshotArb.chain((snapshot) => fc.tuple(fc.constant(snapshot), permutationArb(snapshot))),
      contextArb.chain((context) =>
        fc.tuple(
          fc.constant(context),
          fc.shuffledSubarray(context.networks, { minLength: context.networks.length }),
        ),
      ),
      ([snapshot, permuted], [context, permutedNetworks]) => {
        const table = translate(snapshot, context);
        assert.deepStrictEqual(translate(permuted, { ...context, networks: permutedNetworks }), table);
      },
    ),
    { numRuns: 300 },
  );
});

test('the same input always gives the same table and version', () => {
  fc.assert(
    fc.property(snapshotArb, contextArb, (snapshot, context) => {
      const copy = structuredClone(snapshot);
      const table = translate(snapshot, context);
      assert.deepStrictEqual(translate(copy, structuredClone(context)), table);
      assert.match(table.version, /^[0-9a-f]{16}$/);
    }),
  );
});

/** The snapshot with the address that `table`'s first upstream is built from moved elsewhere. */
function moveFirstUpstream(snapshot: SwarmSnapshot, table: RoutingTable): SwarmSnapshot {
  const backend = table.backends.find((b) => b.upstreams.length > 0)!;
  const upstream = backend.upstreams[0]!;
  const moved = structuredClone(snapshot);
  if (backend.mode === 'mesh') {
    moved.nodes = moved.nodes.map((n) => (n.id === upstream.node ? { ...n, address: '10.99.0.1' } : n));
    return moved;
  }
  const task = moved.tasks.find((t) => t.id === upstream.task)!;
  if (backend.mode === 'task') {
    for (const attachment of task.networks) attachment.addresses = ['10.99.0.1'];
  } else {
    for (const p of task.hostPorts) p.publishedPort = 40_000;
  }
  return moved;
}

test('changing an upstream changes the version', () => {
  fc.assert(
    fc.property(snapshotArb, contextArb, (snapshot, context) => {
      const table = translate(snapshot, context);
      fc.pre(table.backends.some((b) => b.upstreams.length > 0));
      assert.notEqual(translate(moveFirstUpstream(snapshot, table), context).version, table.version);
    }),
    { numRuns: 200 },
  );
});
