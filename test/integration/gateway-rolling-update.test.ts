import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gatewayStack } from './support/gateway-stack.js';
import { underLoad } from './support/load-scenario.js';
import { taskIds, waitReplaced } from './support/swarm-rollout.js';

const HOST = 'update.test';
const REPLICAS = 3;
/** Steady client traffic: about 50 requests per second over keep-alive connections, for 30 s at least. */
const RATE = 50;
/** POSTs with a body: the gateway never resends them after a reset, so no failure hides behind a retry. */
const REQUEST = { host: HOST, method: 'POST', body: 'x'.repeat(256) };
const LOAD_MS = 30_000;

// `docker service update` of a routed service while `swarmgate run` (on the host, hostport upstreams)
// carries steady traffic: DESIGN.md's goal is zero failed client requests. Draining tasks get no new
// requests, and a request whose connection fails before any byte was sent is retried elsewhere.
test('rolling updates under load: zero non-2xx responses and zero transport errors', async (t) => {
  const { rig, stack, gw } = await gatewayStack(t, 'update-whoami.yml', 'gwupdate');
  const service = `${stack}_web`;
  const routeId = `${service}/default`;
  const allReady = (s: { upstreams: Array<{ state: string }> }) =>
    s.upstreams.length === REPLICAS && s.upstreams.every((u) => u.state === 'ready');
  await gw.waitForRoute(routeId, allReady);

  const updates: Array<[order: 'stop-first' | 'start-first', change: string[]]> = [
    ['stop-first', ['--force']],
    ['start-first', ['--env-add', 'SG_UPDATE_GENERATION=2']],
  ];
  for (const [order, change] of updates) {
    await t.test(`${order}, parallelism 1, delay 2s: ${change.join(' ')}`, async (st) => {
      const before = await taskIds(rig, service);
      let after = new Set<string>();
      const run = await underLoad(
        st,
        gw,
        routeId,
        { request: REQUEST, rate: RATE, minDurationMs: LOAD_MS },
        async ({ mark }) => {
          mark(`docker service update --update-order ${order} ${change.join(' ')}`);
          await rig.rollingUpdate(service, order, [
            '--update-parallelism',
            '1',
            '--update-delay',
            '2s',
            ...change,
          ]);
          await waitReplaced(rig, service, before, REPLICAS);
          mark('swarm converged: every task replaced');
          after = await taskIds(rig, service);
          await gw.waitForRoute(
            routeId,
            (s) => allReady(s) && s.upstreams.every((u) => u.task !== undefined && after.has(u.task)),
          );
          mark('the gateway serves only the new tasks');
        },
      );
      const { result, story } = run;
      const answeredByNew = Object.keys(result.byTask).filter((name) => after.has(name.split('.')[2] ?? ''));
      assert.equal(answeredByNew.length, REPLICAS, 'every new task answered requests during the load');
      assert.ok(
        result.total >= (RATE * LOAD_MS) / 1000 / 2,
        `at least half the planned requests ran (${result.total})`,
      );
      assert.equal(result.otherStatus, 0, `no non-2xx response; timeline:\n${story.join('\n')}`);
      assert.equal(result.transportErrors, 0, `no transport error; timeline:\n${story.join('\n')}`);
    });
  }
});
