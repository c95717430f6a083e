import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { WhoamiAnswer } from '../integration/support/http-whoami.js';
import { STICKY_HOST as HOST, stickyStack } from '../integration/support/sticky-stack.js';
import { launchChromium } from './support/chromium.js';
import type { PageGlobals } from './support/page-globals.js';

/** What the page's own WebSocket saw: whoami's greeting and every echo, in order. */
interface EchoRun {
  hello: string;
  echoes: string[];
  closeCode: number;
}

/** Loads `url` in `page` and returns whoami's answer; a non-200 fails with the page's text. */
async function visit(page: Page, url: string, how: 'goto' | 'reload' = 'goto'): Promise<WhoamiAnswer> {
  const res = how === 'goto' ? await page.goto(url) : await page.reload();
  assert.ok(res, `${url}: the browser got a response`);
  assert.equal(res.status(), 200, `${url}: ${await res.text()}`);
  return (await res.json()) as WhoamiAnswer;
}

// A real browser (Debian's Chromium) through `swarmgate run` on the host to three whoami tasks: the
// sticky cookie as the browser stores and sends it, a WebSocket framed by the browser's own
// implementation, a server-sent event stream that must open before its first event, a re-pin the
// browser takes over when its task is scaled away, and a WebSocket that outlives its task's restart.
test('browser session through the gateway: sticky cookie, WebSocket, event stream, re-pin, restart', async (t) => {
  const { rig, gw, service, routeId, tasks, cookieName } = await stickyStack(t, 'e2ebrowser');
  const browser = await launchChromium();
  t.after(() => browser.close());
  const origin = `http://${HOST}:${gw.port}`;

  /** A new browser profile's first page load: balanced, then pinned by the cookie it stores. */
  const newSession = async (): Promise<{ context: BrowserContext; page: Page; task: string }> => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    return { context, page, task: (await visit(page, `${origin}/`)).name };
  };
  const stickyCookie = async (context: BrowserContext) =>
    (await context.cookies(origin)).find((c) => c.name === cookieName);

  const first = await newSession();

  await t.test(
    'reloads stay on one task; the browser stores the pin as HttpOnly, SameSite=Lax, Path=/',
    async (st) => {
      const cookie = await stickyCookie(first.context);
      assert.ok(cookie, `the browser stored ${cookieName}`);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Lax');
      assert.equal(cookie.path, '/');
      assert.equal(cookie.secure, false, 'plain HTTP: no Secure flag');
      assert.equal(
        await first.page.evaluate(() => (globalThis as unknown as PageGlobals).document.cookie),
        '',
        'page scripts cannot read the pin',
      );
      for (let i = 0; i < 20; i++) {
        const answer = await visit(first.page, `${origin}/`, 'reload');
        assert.equal(answer.name, first.task, `reload ${i + 1} stays on the pinned task`);
        assert.match(String(answer.headers.cookie), new RegExp(`${cookieName}=${cookie.value}`));
      }
      st.diagnostic(`20 reloads on ${first.task}`);
    },
  );

  await t.test(
    "a WebSocket opened by the page reaches the session's task and echoes 50 messages",
    async (st) => {
      // Lengths cover all three RFC 6455 payload-length encodings (7-bit, 16-bit, 64-bit).
      const messages = Array.from({ length: 50 }, (_, i) =>
        i === 49 ? 'z'.repeat(100_000) : `${i}:${'x'.repeat(i * 11)}`,
      );
      const run = await first.page.evaluate(
        ({ url, messages }) =>
          new Promise<EchoRun>((resolve, reject) => {
            const ws = new (globalThis as unknown as PageGlobals).WebSocket(url);
            const received: string[] = [];
            let hello = '';
            ws.onerror = () => reject(new Error(`WebSocket ${url} failed`));
            ws.onmessage = (event) => {
              if (!hello) hello = (JSON.parse(event.data) as { hello: string }).hello;
              else received.push(event.data);
              if (received.length < messages.length) ws.send(messages[received.length] as string);
              else ws.close(1000, 'done');
            };
            ws.onclose = (event) => resolve({ hello, echoes: received, closeCode: event.code });
          }),
        { url: `ws://${HOST}:${gw.port}/ws`, messages },
      );
      assert.equal(run.hello, first.task, 'the upgrade carried the pin to the same task');
      assert.equal(run.echoes.length, messages.length, 'every message came back');
      assert.deepEqual(run.echoes, messages, 'in order and unchanged');
      assert.equal(run.closeCode, 1000, 'a clean close handshake');
      st.diagnostic(`${run.echoes.length} messages echoed by ${run.hello}`);
    },
  );

  await t.test("a page's event stream opens on the session's task before its first event", async (st) => {
    // whoami sends the event only when /release reaches the task holding the stream, and the page asks
    // for the release only once the stream is open: the head must reach the browser on its own.
    const run = await first.page.evaluate(
      (id) =>
        new Promise<{ released: unknown; hello: string }>((resolve, reject) => {
          const page = globalThis as unknown as PageGlobals;
          const timer = setTimeout(
            () => reject(new Error('the event stream did not open within 10 s')),
            10_000,
          );
          const events = new page.EventSource(`/events/${id}`);
          const message = new Promise<string>((got) => {
            events.onmessage = (event) => got(event.data);
          });
          events.onopen = () => {
            page
              .fetch(`/release/${id}`)
              .then((res) => res.json())
              .then(async (answer) => {
                const data = await message;
                clearTimeout(timer);
                events.close();
                resolve({
                  released: (answer as { released: unknown }).released,
                  hello: (JSON.parse(data) as { hello: string }).hello,
                });
              }, reject);
          };
        }),
      `e2e-${process.pid}`,
    );
    assert.equal(run.released, true, 'the release reached the task that holds the stream');
    assert.equal(run.hello, first.task, "the stream runs on the session's task");
    st.diagnostic(`event stream opened, then released on ${run.hello}`);
  });

  await t.test('new browser profiles are spread over every task', async (st) => {
    const counts = new Map<string, number>([[first.task, 1]]);
    for (let i = 1; i < 30; i++) {
      const session = await newSession();
      assert.ok(tasks.has(session.task), `${session.task} is a task of ${service}`);
      assert.ok(await stickyCookie(session.context), 'every new profile is pinned');
      counts.set(session.task, (counts.get(session.task) ?? 0) + 1);
      await session.context.close();
    }
    st.diagnostic(`30 new profiles: ${JSON.stringify(Object.fromEntries(counts))}`);
    for (const task of tasks) assert.ok((counts.get(task) ?? 0) >= 1, `${task} got at least one profile`);
  });

  await t.test(
    'after a scale-down, each profile loads from the live task and holds its new pin',
    async (st) => {
      const sessions = [first];
      while (new Set(sessions.map((s) => s.task)).size < tasks.size) {
        assert.ok(sessions.length < 60, 'new profiles reach every task');
        sessions.push(await newSession());
      }
      const pins = await Promise.all(sessions.map(async (s) => (await stickyCookie(s.context))?.value));
      await rig.docker(['service', 'scale', '--detach', `${service}=1`]);
      await rig.waitConverged(service, { timeoutMs: 60_000 });
      await gw.waitForRoute(routeId, (s) => s.upstreams.length === 1 && s.upstreams[0]?.state === 'ready');
      const [survivor] = (await rig.tasks(service)).map((task) => task.name);
      let repinned = 0;
      for (const [i, session] of sessions.entries()) {
        const answer = await visit(session.page, `${origin}/after`, 'goto');
        assert.equal(answer.name, survivor, 'the page is answered by the live task');
        const pin = (await stickyCookie(session.context))?.value;
        if (session.task === survivor) assert.equal(pin, pins[i], 'a pin on the live task is kept');
        else {
          assert.notEqual(pin, pins[i], 'the browser took over the new pin');
          repinned++;
        }
        assert.equal((await visit(session.page, `${origin}/again`)).name, survivor, 'and keeps it');
      }
      st.diagnostic(`${sessions.length} profiles, ${repinned} re-pinned to ${survivor}, no error page`);
    },
  );

  await t.test(
    "a WebSocket closed by its task's rolling restart reconnects to the new task and takes its pin",
    async (st) => {
      const url = `ws://${HOST}:${gw.port}/ws`;
      const [before] = (await rig.tasks(service)).map((task) => task.name);
      const opened = await first.page.evaluate(
        (url) =>
          new Promise<string>((resolve, reject) => {
            const page = globalThis as unknown as PageGlobals;
            const ws = new page.WebSocket(url);
            page.wsClosed = new Promise<number>((closed) => {
              ws.onclose = (event) => closed(event.code);
            });
            ws.onmessage = (event) => resolve((JSON.parse(event.data) as { hello: string }).hello);
            ws.onerror = () => reject(new Error(`WebSocket ${url} failed`));
          }),
        url,
      );
      assert.equal(opened, before, 'the WebSocket runs on the one task left');
      const pin = (await stickyCookie(first.context))?.value;
      await rig.rollingUpdate(service, 'start-first', ['--force']);
      // Swarm starts the new task, then stops the old one: whoami closes its WebSockets with 1001.
      const reconnect = await first.page.evaluate(async (url) => {
        const page = globalThis as unknown as PageGlobals;
        const closeCode = await page.wsClosed!;
        for (let attempt = 1; attempt <= 50; attempt++) {
          try {
            const hello = await new Promise<string>((resolve, reject) => {
              const ws = new page.WebSocket(url);
              ws.onmessage = (event) => {
                resolve((JSON.parse(event.data) as { hello: string }).hello);
                ws.close(1000);
              };
              ws.onerror = () => reject(new Error('failed'));
            });
            return { closeCode, hello, attempt };
          } catch {
            await new Promise<void>((wait) => page.setTimeout(wait, 200));
          }
        }
        throw new Error('no WebSocket within 50 attempts');
      }, url);
      await rig.waitConverged(service, { timeoutMs: 60_000 });
      const [after] = (await rig.tasks(service)).map((task) => task.name);
      assert.equal(reconnect.closeCode, 1001, 'the stopping task said it was going away');
      assert.notEqual(after, before, 'the task was replaced');
      assert.equal(reconnect.hello, after, 'the reconnect reached the new task');
      assert.equal(reconnect.attempt, 1, 'the first reconnect succeeded: no error reached the page');
      const repin = (await stickyCookie(first.context))?.value;
      assert.ok(repin && repin !== pin, "the browser took the new pin from the upgrade's 101");
      assert.equal((await visit(first.page, `${origin}/after-restart`)).name, after, 'HTTP follows the pin');
      st.diagnostic(`WebSocket on ${before} closed with ${reconnect.closeCode}; reconnected to ${after}`);
    },
  );
});
