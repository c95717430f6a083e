import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayRoutesState } from '../../src/dataplane/http/routes-state.js';
import { routeState } from './support/gateway-process.js';
import { gatewayStack } from './support/gateway-stack.js';
import { underLoad } from './support/load-scenario.js';
import { taskIds } from './support/swarm-rollout.js';

const HOST = 'update.test';
const REPLICAS = 3;

/** One label change and how the served table shows it. */
interface LabelChange {
  args: string[];
  /** True once the table reflects the change. */
  shows: (table: GatewayRoutesState, service: string) => boolean;
}

const priority = (n: number): LabelChange => ({
  args: ['--label-add', `swarmgate.priority=${n}`],
  shows: (table, service) => routeState(table, `${service}/default`)?.route.priority === n,
});
const extraRoute = (present: boolean): LabelChange => ({
  args: present
    ? ['--label-add', 'swarmgate.routes.extra.hosts=extra.test']
    : ['--label-rm', 'swarmgate.routes.extra.hosts'],
  shows: (table, service) => table.routes.some((r) => r.id === `${service}/extra`) === present,
});

// Service label changes (no task restarts) make `swarmgate run` build and swap in a new table each
// time while traffic runs on the route: requests finish on the table they started with, upstream
// state carries over in the registry, and no request is dropped.
test('table swaps under load: every label change swaps the table, no request fails', async (t) => {
  const { rig, stack, gw } = await gatewayStack(t, 'update-whoami.yml', 'gwswap');
  const service = `${stack}_web`;
  const routeId = `${service}/default`;
  await gw.waitForRoute(
    routeId,
    (s) => s.upstreams.length === REPLICAS && s.upstreams.every((u) => u.state === 'ready'),
  );
  const tasksBefore = await taskIds(rig, service);
  const changes = [
    priority(20_001),
    extraRoute(true),
    priority(20_002),
    extraRoute(false),
    priority(20_003),
    extraRoute(true),
    priority(-5),
    extraRoute(false),
  ];
  const versions: string[] = [];

  const { result, log, story } = await underLoad(
    t,
    gw,
    routeId,
    { request: { host: HOST }, minDurationMs: 30_000 },
    async ({ mark }) => {
      versions.push((await gw.table())!.version);
      for (const change of changes) {
        mark(`docker service update ${change.args.join(' ')}`);
        await rig.docker(['service', 'update', '--detach', ...change.args, service]);
        const table = await rig.waitFor(
          async () => {
            const current = await gw.table();
            return current !== null && change.shows(current, service) && current;
          },
          { timeoutMs: 30_000, intervalMs: 50, what: `the gateway to serve ${change.args.join(' ')}` },
        );
        mark(`served as table ${table.version.slice(0, 12)}`);
        versions.push(table.version);
        // Requests run on each table for a while before the next swap.
        await sleep(1_500);
      }
    },
  );
  t.diagnostic(`table versions: ${versions.map((v) => v.slice(0, 12)).join(' → ')}`);

  for (let i = 1; i < versions.length; i++) {
    assert.notEqual(
      versions[i],
      versions[i - 1],
      `label change ${i} (${changes[i - 1]!.args.join(' ')}) swapped the table`,
    );
  }
  assert.ok(
    log.tables.length >= changes.length,
    `the gateway logged a table swap per change (${log.tables.length})`,
  );
  assert.deepEqual(await taskIds(rig, service), tasksBefore, 'label changes restarted no task');
  assert.ok(result.total >= 750, `the load ran (${result.total} requests)`);
  assert.equal(result.otherStatus, 0, `no non-2xx response; timeline:\n${story.join('\n')}`);
  assert.equal(result.transportErrors, 0, `no transport error; timeline:\n${story.join('\n')}`);
});
