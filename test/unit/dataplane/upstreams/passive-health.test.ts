import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type UpstreamHealthEvent,
  upstreamHealthChannel,
} from '../../../../src/dataplane/upstreams/health-channel.js';
import { fetchFromPool } from '../../../../src/dataplane/upstreams/http1/pool-fetch.js';
import { PassiveHealth } from '../../../../src/dataplane/upstreams/passive-health.js';
import type { UpstreamHandle } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import { UpstreamRegistry } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import { closedPort, startServer, waitFor } from './servers.js';
import { backend, ManualClock, registryOptions, route, table, upstream } from './table-fixtures.js';

/** Short enough that probes run many times within a test, long enough to act between them. */
const BACKOFF = 50;

type After = { after: (fn: () => Promise<void> | void) => void };

function upstreamTable(id: string, port: number) {
  return table([route('app/default', 'b')], [backend('b', [upstream(id, { port })])]);
}

function registryWith(t: After, id: string, port: number, baseBackoffMs = BACKOFF) {
  const clock = new ManualClock();
  const registry = new UpstreamRegistry(
    registryOptions({
      now: clock.now,
      passive: { maxFails: 3, failWindowMs: 10_000, baseBackoffMs, maxBackoffMs: 4 * baseBackoffMs },
    }),
  );
  t.after(() => registry.close());
  registry.sync(upstreamTable(id, port));
  return { clock, registry, handle: registry.get(id)! };
}

/** Health events for one upstream id, in order. */
function healthEvents(t: After, id: string): UpstreamHealthEvent[] {
  const events: UpstreamHealthEvent[] = [];
  const onEvent = (message: unknown) => {
    const event = message as UpstreamHealthEvent;
    if (event.id === id) events.push(event);
  };
  upstreamHealthChannel.subscribe(onEvent);
  t.after(() => upstreamHealthChannel.unsubscribe(onEvent));
  return events;
}

/** Sends one request through the handle's pool as the proxy would, reporting the outcome. */
async function proxyOnce(handle: UpstreamHandle): Promise<'ok' | string> {
  handle.requestStarted();
  try {
    await fetchFromPool(handle.pool, 'GET', '/', ['host', 'a.test'], { timeoutMs: 5_000 });
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

const probeFailures = (events: UpstreamHealthEvent[]) =>
  events.filter((e) => !e.healthy && e.reason !== 'connect');

test('each failed probe doubles the backoff up to the cap; a successful one resets it', () => {
  const health = new PassiveHealth({
    maxFails: 3,
    failWindowMs: 10_000,
    baseBackoffMs: 100,
    maxBackoffMs: 400,
  });
  assert.equal(health.backoffMs, 0);
  assert.equal(health.failure(true, 0), true);
  const backoffs = [health.backoffMs];
  for (let i = 0; i < 4; i++) {
    health.probeFailed();
    backoffs.push(health.backoffMs);
  }
  assert.deepEqual(backoffs, [100, 200, 400, 400, 400]);
  assert.equal(health.down, true);
  health.probeSucceeded();
  assert.equal(health.down, false);
  assert.equal(health.failure(true, 1), true);
  assert.equal(health.backoffMs, 100, 'the next trip starts from the base backoff');
});

test('a refused connection marks the upstream down at once; clients never become the probe', async (t) => {
  const port = await closedPort();
  const { handle } = registryWith(t, 'task:refused:80', port);
  const events = healthEvents(t, handle.id);
  assert.equal(await proxyOnce(handle), 'ECONNREFUSED');
  assert.deepEqual(
    events.map((e) => [e.healthy, e.source, e.reason]),
    [[false, 'passive', 'connect']],
  );
  assert.equal(handle.available(), false);
  // Several backoffs pass while the port stays closed: the probes fail and it stays down for clients.
  await waitFor(() => probeFailures(events).length >= 3, 'three failed probes');
  assert.ok(probeFailures(events).every((e) => e.reason === 'ECONNREFUSED' && e.source === 'passive'));
  assert.equal(handle.available(), false);
  handle.requestStarted();
  handle.requestFinished();
  assert.equal(handle.available(), false, 'a request that ends without a verdict does not open it either');
});

test('the background probe brings the upstream back once its port listens, without any client request', async (t) => {
  const port = await closedPort();
  const { handle } = registryWith(t, 'task:back:80', port);
  const events = healthEvents(t, handle.id);
  assert.equal(await proxyOnce(handle), 'ECONNREFUSED');
  await waitFor(() => probeFailures(events).length >= 1, 'a failed probe');
  assert.equal(handle.healthy, false);
  await startServer(t, (_req, res) => res.end('back'), port);
  await waitFor(() => handle.healthy, 'the probe to restore the upstream');
  assert.deepEqual(events.at(-1), {
    id: handle.id,
    address: handle.address,
    healthy: true,
    source: 'passive',
    reason: 'probe',
  });
  assert.equal(handle.inflight, 0);
  assert.equal(await proxyOnce(handle), 'ok');
});

test('resets and timeouts take the upstream down only after maxFails within the window', async (t) => {
  const { clock, handle } = registryWith(t, 'task:window:80', await closedPort());
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

test('successes and failures of requests started before the trip change nothing while down', async (t) => {
  const server = await startServer(t, (_req, res) => res.end('up'));
  // A backoff far beyond the test: only client reports could change anything here.
  const { clock, handle } = registryWith(t, 'task:late:80', server.port, 60_000);
  const events = healthEvents(t, handle.id);
  handle.reportFailure('connect');
  handle.reportSuccess();
  clock.advance(120_000);
  handle.reportSuccess();
  handle.reportFailure('connect');
  assert.equal(handle.healthy, false);
  assert.equal(events.length, 1, 'only the trip was published');
});

/** A live server whose connections are counted, and an upstream on it tripped by a (stale) refused connect. */
async function trippedOnCountingServer(t: After, id: string) {
  const server = await startServer(t, (_req, res) => res.end('up'));
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  const tripped = registryWith(t, id, server.port);
  tripped.handle.reportFailure('connect');
  return { ...tripped, server, connections: () => connections };
}

test('a removed upstream is not probed; probing resumes if it comes back', async (t) => {
  const { registry, handle, server, connections } = await trippedOnCountingServer(t, 'task:removed:80');
  handle.requestStarted(); // still running, so the removed handle waits instead of closing at once
  registry.sync(table([], []));
  assert.equal(handle.state, 'removed');
  await sleep(10 * BACKOFF);
  assert.equal(connections(), 0, 'no probe after removal');
  assert.equal(handle.healthy, false);
  registry.sync(upstreamTable('task:removed:80', server.port));
  assert.equal(registry.get('task:removed:80'), handle, 'same handle, back before its pool closed');
  await waitFor(() => handle.healthy, 'the resumed probe to restore the upstream');
  assert.equal(connections(), 1);
  handle.requestFinished();
});

test('closing the registry stops probing', async (t) => {
  const { registry, handle, connections } = await trippedOnCountingServer(t, 'task:closed:80');
  await registry.close();
  await sleep(10 * BACKOFF);
  assert.equal(connections(), 0, 'no probe after close');
  assert.equal(handle.healthy, false);
});
