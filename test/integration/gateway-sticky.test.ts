import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CookieJar, httpRequest } from './support/http-client.js';
import { startLoad } from './support/http-load.js';
import { sessionsOnEveryTask } from './support/http-sessions.js';
import { whoami } from './support/http-whoami.js';
import { STICKY_HOST as HOST, stickyStack } from './support/sticky-stack.js';

// Cookie stickiness through `swarmgate run` on the host, against three real tasks.
test('gateway sticky sessions: pinning, balancing of new sessions, re-pin when the task is scaled away', async (t) => {
  const { rig, gw, service, routeId, tasks, cookieName } = await stickyStack(t, 'gwsticky');
  assert.match(cookieName, /^sg_[0-9a-f]{8}$/);

  await t.test('with a cookie jar, 100 requests all reach the same task', async (st) => {
    const jar = new CookieJar();
    const first = await httpRequest(gw.http, { host: HOST, jar });
    const pinned = whoami(first).name;
    assert.equal(first.setCookies.length, 1, 'the first response pins the session');
    assert.ok(jar.get(cookieName), `the pin is the ${cookieName} cookie`);
    let same = 1;
    for (let i = 1; i < 100; i++) {
      // A fresh connection per request: the cookie pins, not the connection.
      const res = await httpRequest(gw.http, { host: HOST, path: `/n/${i}`, jar });
      assert.equal(whoami(res).name, pinned, `request ${i + 1} stays on the pinned task`);
      assert.deepEqual(res.setCookies, [], 'a valid pin is not set again');
      same++;
    }
    st.diagnostic(`100 requests with one cookie jar: ${same} on ${pinned}`);
  });

  await t.test('60 requests without a cookie spread over every task', async (st) => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const res = await httpRequest(gw.http, { host: HOST });
      const name = whoami(res).name;
      assert.ok(tasks.has(name), `${name} is a task of ${service}`);
      assert.ok(
        res.setCookies.some((c) => c.startsWith(`${cookieName}=`)),
        'a cookie-less request gets a pin',
      );
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    st.diagnostic(`60 cookie-less requests: ${JSON.stringify(Object.fromEntries(counts))}`);
    for (const task of tasks) assert.ok((counts.get(task) ?? 0) >= 1, `${task} got at least one request`);
  });

  await t.test(
    'sessions whose task is scaled away move to the live task with a new cookie, without errors',
    async (st) => {
      // A session on every task: scaling to 1 then removes at least two pinned tasks, whichever survives.
      const sessions = await sessionsOnEveryTask(gw.http, HOST, tasks, cookieName);
      const answers = sessions.map(() => [] as Array<{ task: string; repinned: boolean }>);
      const load = startLoad(
        async (i) => {
          const res = await httpRequest(gw.http, { host: HOST, jar: sessions[i]!.jar });
          if (res.status === 200)
            answers[i]!.push({ task: whoami(res).name, repinned: res.setCookies.length > 0 });
          return res;
        },
        { loops: sessions.length },
      );
      st.after(() => load.stop());
      await sleep(500);
      await rig.docker(['service', 'scale', '--detach', `${service}=1`]);
      await rig.waitConverged(service, { timeoutMs: 60_000 });
      await gw.waitForRoute(routeId, (s) => s.upstreams.length === 1 && s.upstreams[0]?.state === 'ready');
      await sleep(2_000); // sessions keep requesting on the new table
      const { ok, failures } = await load.stop();
      const [survivor] = (await rig.tasks(service)).map((task) => task.name);
      assert.ok(survivor && tasks.has(survivor), 'one of the three tasks is left');
      const moved = sessions.filter((s) => s.task !== survivor);
      st.diagnostic(
        `${sessions.length} sessions, ${moved.length} pinned to removed tasks; ${ok} responses 200, ${failures.length} failures`,
      );
      assert.deepEqual(failures.slice(0, 10), [], 'no request failed during the scale-down');
      assert.ok(moved.length >= 2, 'scaling 3 → 1 removed at least two pinned tasks');

      for (const [i, session] of sessions.entries()) {
        const seen = answers[i]!;
        const final = await httpRequest(gw.http, { host: HOST, jar: session.jar });
        assert.equal(whoami(final).name, survivor, `session ${i} ends on the live task`);
        assert.deepEqual(final.setCookies, [], `session ${i}'s current pin is valid`);
        if (session.task === survivor) {
          assert.ok(
            seen.every((a) => a.task === survivor && !a.repinned),
            `session ${i} on the live task kept it`,
          );
          assert.equal(session.jar.get(cookieName), session.cookie);
          continue;
        }
        const repin = seen.findIndex((a) => a.repinned);
        assert.ok(repin >= 0, `session ${i} (was on ${session.task}) got a new Set-Cookie`);
        assert.equal(seen[repin]!.task, survivor, 'the new pin is the live task');
        assert.ok(
          seen.slice(0, repin).every((a) => a.task === session.task),
          'until the re-pin, the session stayed on its (draining) task',
        );
        assert.notEqual(session.jar.get(cookieName), session.cookie, 'the cookie changed');
        st.diagnostic(
          `session ${i}: ${repin} answers from ${session.task}, then re-pinned to ${survivor} (${seen.length - repin} answers)`,
        );
      }
    },
  );
});
