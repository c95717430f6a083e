import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UpstreamHandle } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import { UpstreamRegistry } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import { closedPort, startServer } from './servers.js';
import { backend, ManualClock, registryOptions, route, table, upstream } from './table-fixtures.js';

const BACKOFF = 1_000;

function registryWith(t: { after: (fn: () => Promise<void>) => void }, port = 9) {
  const clock = new ManualClock();
  const registry = new UpstreamRegistry(
    registryOptions({
      now: clock.now,
      passive: { maxFails: 3, failWindowMs: 10_000, baseBackoffMs: BACKOFF, maxBackoffMs: 4 * BACKOFF },
    }),
  );
  t.after(() => registry.close());
  registry.sync(table([route('app/default', 'b')], [backend('b', [upstream('task:a:80', { port })])]));
  return { clock, registry, handle: registry.get('task:a:80')! };
}

/** Sends one request through the handle's pool as the proxy would, reporting the outcome. */
async function proxyOnce(handle: UpstreamHandle): Promise<'ok' | string> {
  handle.requestStarted();
  try {
    const res = await handle.pool.request({ method: 'GET', path: '/' });
    await res.body.dump();
    handle.reportSuccess();
    return 'ok';
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unknown';
    if (code === 'ECONNREFUSED') handle.reportFailure('connect');
    return code;
  } finally {
    handle.requestFinished();
  }
}

test('a refused connection marks the upstream down at once; after the backoff one probe may go', async (t) => {
  const port = await closedPort();
  const { clock, handle } = registryWith(t, port);
  assert.equal(await proxyOnce(handle), 'ECONNREFUSED');
  assert.equal(handle.healthy, false);
  assert.equal(handle.available(), false);
  clock.advance(BACKOFF - 1);
  assert.equal(handle.healthy, false);
  clock.advance(1);
  assert.equal(handle.available(), true, 'half-open after the backoff');
  handle.requestStarted();
  assert.equal(handle.available(), false, 'only one probe at a time');
  handle.requestFinished();
  assert.equal(handle.available(), true, 'a probe that ended without a verdict frees the slot');
});

test('a failed probe doubles the backoff; a successful one (the task came back) restores the upstream', async (t) => {
  const port = await closedPort();
  const { clock, handle } = registryWith(t, port);
  assert.equal(await proxyOnce(handle), 'ECONNREFUSED');
  clock.advance(BACKOFF);
  assert.equal(await proxyOnce(handle), 'ECONNREFUSED');
  clock.advance(BACKOFF);
  assert.equal(handle.healthy, false, 'second backoff is twice as long');
  clock.advance(BACKOFF);
  assert.equal(handle.healthy, true);
  await startServer(t, (_req, res) => res.end('back'), port);
  assert.equal(await proxyOnce(handle), 'ok');
  assert.equal(handle.healthy, true);
  assert.equal(await proxyOnce(handle), 'ok');
  // The strike count was reset: the next trip starts from the base backoff again.
  handle.reportFailure('connect');
  clock.advance(BACKOFF);
  assert.equal(handle.healthy, true);
});

test('the backoff is capped', (t) => {
  const { clock, handle } = registryWith(t);
  for (let i = 0; i < 6; i++) {
    handle.reportFailure('connect');
    clock.advance(4 * BACKOFF);
    assert.equal(handle.healthy, true, `trip ${i + 1} ends within the cap`);
  }
});

test('resets and timeouts take the upstream down only after maxFails within the window', (t) => {
  const { clock, handle } = registryWith(t);
  handle.reportFailure('reset');
  handle.reportFailure('timeout');
  assert.equal(handle.healthy, true);
  clock.advance(10_001);
  handle.reportFailure('reset');
  handle.reportFailure('reset');
  assert.equal(handle.healthy, true, 'failures of an old window do not count');
  handle.reportFailure('timeout');
  assert.equal(handle.healthy, false);
});

test('successes of requests started before the trip do not bring it back early', (t) => {
  const { clock, handle } = registryWith(t);
  handle.reportFailure('connect');
  handle.reportSuccess();
  assert.equal(handle.healthy, false);
  clock.advance(BACKOFF);
  handle.reportSuccess();
  assert.equal(handle.healthy, true);
});
