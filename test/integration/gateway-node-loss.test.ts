import assert from 'node:assert/strict';
import { test } from 'node:test';
import { routeState } from './support/gateway-process.js';
import { gatewayStack } from './support/gateway-stack.js';
import { underLoad } from './support/load-scenario.js';

const HOST = 'update.test';
const REPLICAS = 3;

// A worker holding a task loses power (every process of the node SIGKILLed, containers included) while
// `swarmgate run` on the host carries steady traffic. Only requests that were in flight on that node
// may fail; every request that starts after the kill must be served by the surviving tasks (a refused
// or timed-out connect is retried elsewhere), and swarm's replacement task joins the pool.
test('node loss under load: failures bounded by the requests in flight on the lost node', async (t) => {
  const { rig, stack, gw } = await gatewayStack(t, 'update-whoami.yml', 'gwnodeloss');
  const service = `${stack}_web`;
  const routeId = `${service}/default`;
  await gw.waitForRoute(
    routeId,
    (s) => s.upstreams.length === REPLICAS && s.upstreams.every((u) => u.runtime?.state === 'ready'),
  );
  // Node 1 is the manager the gateway reads; the victim is the highest worker that holds a task.
  const victim = (await rig.tasks(service))
    .map((task) => task.node)
    .filter((node) => node !== undefined && node.role === 'worker')
    .sort((a, b) => b!.index - a!.index)[0];
  assert.ok(victim, 'a worker node holds a task');

  await t.test(`kill node ${victim.index} (${victim.hostname})`, async (st) => {
    let killed = false;
    st.after(async () => {
      if (!killed) return;
      await rig.startNode(victim.index);
      await rig.waitFor(async () => (await rig.nodeStatus(victim.index)) === 'ready', {
        timeoutMs: 90_000,
        what: `node ${victim.index} to be Ready again`,
      });
    });
    let inflightOnVictim = -1;
    let killedAt = 0;
    const { result, story } = await underLoad(
      st,
      gw,
      routeId,
      { request: { host: HOST }, minDurationMs: 30_000 },
      async ({ mark }) => {
        const state = routeState(await gw.table(), routeId);
        inflightOnVictim = (state?.upstreams ?? [])
          .filter((u) => u.host === victim.ip)
          .reduce((sum, u) => sum + (u.runtime?.inflight ?? 0), 0);
        mark(`kill node ${victim.index} (${inflightOnVictim} requests in flight on it just before)`);
        killed = true;
        await rig.killNode(victim.index);
        killedAt = Date.now();
        mark('node killed');
        await rig.waitFor(async () => (await rig.nodeStatus(victim.index)) === 'down', {
          timeoutMs: 30_000,
          what: `node ${victim.index} to be Down`,
        });
        mark('swarm: node down');
        await gw.waitForRoute(
          routeId,
          (s) =>
            s.upstreams.length === REPLICAS &&
            s.upstreams.every(
              (u) => u.host !== victim.ip && u.runtime?.state === 'ready' && u.runtime.healthy,
            ),
          60_000,
        );
        mark(`gateway: ${REPLICAS} ready upstreams, none on node ${victim.index}`);
      },
    );
    const failed = result.otherStatus + result.transportErrors;
    const afterKill = result.failures.filter((f) => f.startedAt > killedAt);
    st.diagnostic(
      `${inflightOnVictim} requests in flight on node ${victim.index} just before the kill (admin API); ` +
        `${failed} failed requests, ${afterKill.length} of them started after the kill; load max in flight ${result.maxInflight}`,
    );
    const timeline = `timeline:\n${story.join('\n')}`;
    assert.deepEqual(afterKill, [], `no request started after the kill failed; ${timeline}`);
    // The node's share of the requests in flight when the kill struck is not observable exactly (rig.sh
    // takes a moment): the load's in-flight cap bounds it from above.
    assert.ok(
      failed <= result.maxInflight,
      `failures (${failed}) do not exceed the requests in flight (at most ${result.maxInflight}); ${timeline}`,
    );
  });
});
