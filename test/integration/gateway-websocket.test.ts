import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CookieJar, httpRequest } from './support/http-client.js';
import { sessionsOnEveryTask } from './support/http-sessions.js';
import { openWebSocket } from './support/http-websocket-client.js';
import { whoami } from './support/http-whoami.js';
import { STICKY_HOST as HOST, stickyStack } from './support/sticky-stack.js';

// WebSocket upgrades through `swarmgate run` on the host to whoami's echo, on a sticky route.
test('gateway WebSocket: echo through the tunnel, stickiness holds for upgrades', async (t) => {
  const { gw, service, tasks, cookieName } = await stickyStack(t, 'gwws');

  await t.test('50 messages on one connection are all echoed, in order, by one task', async (st) => {
    const ws = await openWebSocket(gw.port, { host: HOST, path: '/ws' });
    t.after(() => ws.close());
    const hello = JSON.parse(await ws.next()) as { hello: string };
    assert.ok(tasks.has(hello.hello), `${hello.hello} is a task of ${service}`);
    let echoed = 0;
    for (let i = 0; i < 50; i++) {
      const message = JSON.stringify({ seq: i, pad: 'x'.repeat(i * 7) });
      ws.send(message);
      assert.equal(await ws.next(), message, `message ${i} comes back as sent`);
      echoed++;
    }
    await ws.close();
    st.diagnostic(`${echoed}/50 messages echoed by ${hello.hello}`);
  });

  await t.test(
    'a cookie-less upgrade is pinned by a Set-Cookie on the 101 that HTTP requests honour',
    async () => {
      const ws = await openWebSocket(gw.port, { host: HOST });
      t.after(() => ws.close());
      const hello = JSON.parse(await ws.next()) as { hello: string };
      await ws.close();
      const jar = new CookieJar();
      jar.store(ws.headers['set-cookie'] ?? []);
      assert.ok(jar.get(cookieName), `the 101 sets ${cookieName}`);
      for (let i = 0; i < 5; i++) {
        const res = await httpRequest(gw.http, { host: HOST, jar });
        assert.equal(whoami(res).name, hello.hello, 'HTTP follows the pin the upgrade got');
      }
    },
  );

  await t.test('with a sticky cookie, the upgrade lands on the pinned task', async (st) => {
    const sessions = await sessionsOnEveryTask(gw.http, HOST, tasks, cookieName);
    for (const session of sessions) {
      const ws = await openWebSocket(gw.port, { host: HOST, headers: { cookie: session.jar.header()! } });
      t.after(() => ws.close());
      const hello = JSON.parse(await ws.next()) as { hello: string };
      assert.equal(hello.hello, session.task, 'the WebSocket reaches the pinned task');
      assert.equal(ws.headers['set-cookie'], undefined, 'a valid pin is not set again');
      ws.send('still here');
      assert.equal(await ws.next(), 'still here');
      await ws.close();
    }
    st.diagnostic(
      `${sessions.length} pinned sessions over ${tasks.size} tasks: every upgrade on its pinned task`,
    );
  });
});
