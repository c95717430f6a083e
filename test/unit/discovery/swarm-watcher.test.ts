import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { reconnectDelay } from '../../../src/discovery/backoff.js';
import { resolveDockerEndpoint } from '../../../src/discovery/docker-endpoint.js';
import { EngineClient } from '../../../src/discovery/engine-client.js';
import { snapshotFromEngine } from '../../../src/discovery/engine-snapshot.js';
import type { SwarmSnapshot } from '../../../src/discovery/snapshot.js';
import {
  type SnapshotMeta,
  SwarmWatcher,
  type SwarmWatcherOptions,
  type WatcherStatus,
} from '../../../src/discovery/swarm-watcher.js';
import { SwarmgateError } from '../../../src/errors.js';
import { EngineServer, NOT_A_MANAGER_BODY } from './engine-server.js';
import { recorded } from './recorded-engine.js';

type TestContext = { after(fn: () => unknown): void };

/** A watcher on a real server holding the recorded steady stack, with every emission recorded. */
async function watching(t: TestContext, options: SwarmWatcherOptions) {
  const server = await EngineServer.start();
  server.state = { ...server.state, ...recorded('steady') };
  const client = new EngineClient(resolveDockerEndpoint({ url: `unix://${server.socketPath}`, env: {} }));
  const watcher = new SwarmWatcher(client, options);
  const snapshots: [SwarmSnapshot, SnapshotMeta][] = [];
  const statuses: WatcherStatus[] = [];
  watcher.on('snapshot', (snapshot, meta) => snapshots.push([snapshot, meta]));
  watcher.on('status', (status) => statuses.push(status));
  t.after(async () => {
    await watcher.close();
    await client.close();
    await server.dispose();
  });
  return { server, client, watcher, snapshots, statuses };
}

/** Polls until `condition` holds; fails the test after `timeoutMs` with `what`. */
async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

const count = (server: EngineServer, path: string) =>
  server.requests.filter((r) => r.url.includes(path)).length;

test('start() resolves with the first snapshot, emits it as initial, then opens the event stream', async (t) => {
  const { server, watcher, snapshots, statuses } = await watching(t, { relistIntervalMs: 60_000 });
  const first = await watcher.start();
  assert.deepEqual(first, snapshotFromEngine(recorded('steady')));
  assert.equal(watcher.snapshot, first);
  assert.equal(snapshots.length, 1);
  assert.equal(snapshots[0]?.[1].cause, 'initial');
  await server.waitForEventStream();
  await until('connected', () => watcher.status.connected);
  assert.deepEqual(statuses, [{ connected: true, stale: false }]);
  assert.ok(server.requests.every((r) => r.method === 'GET'));
  await assert.rejects(watcher.start(), /called once/);
});

test('a burst of events costs one debounced refresh; the snapshot carries the oldest event time', async (t) => {
  const { server, watcher, snapshots } = await watching(t, { relistIntervalMs: 60_000, debounceMs: 50 });
  await watcher.start();
  await server.waitForEventStream();
  // The catch-up list after the stream opened.
  await until('the catch-up list ran', () => count(server, '/services') === 2);

  server.state.services = server.state.services.filter(
    (s) => (s as { Spec: { Name: string } }).Spec.Name !== 'shop_api',
  );
  const base = 1_764_000_000_000_000_000;
  server.writeEvents(
    [3, 1, 2]
      .map((n) =>
        JSON.stringify({ Type: 'service', Action: 'remove', Actor: { ID: 'x' }, timeNano: base + n * 1e6 }),
      )
      .join('\n')
      .concat('\n'),
  );
  await until('a snapshot after the events', () => snapshots.length === 2);
  const [snapshot, meta] = snapshots[1] ?? assert.fail();
  assert.deepEqual(
    snapshot.services.map((s) => s.name),
    ['shop_agent', 'shop_web'],
  );
  assert.equal(meta.cause, 'event');
  assert.equal(meta.eventTime, (base + 1e6) / 1e6);
  assert.equal(count(server, '/services'), 3);
});

test('the periodic re-list finds task changes, which have no events; an unchanged swarm emits nothing', async (t) => {
  const { server, watcher, snapshots } = await watching(t, { relistIntervalMs: 20 });
  await watcher.start();
  await until('several re-lists', () => count(server, '/tasks') >= 6);
  assert.equal(snapshots.length, 1, 'nothing changed, nothing emitted');
  // With the event stream open, a re-list asks for tasks only.
  assert.ok(count(server, '/services') < count(server, '/tasks') - 2);

  const rolling = recorded('rolling-update');
  server.state.tasks = rolling.tasks;
  await until('the re-list saw the new tasks', () => snapshots.length === 2);
  const [snapshot, meta] = snapshots[1] ?? assert.fail();
  assert.equal(meta.cause, 'relist');
  const newest = Math.max(...snapshot.tasks.map((task) => Date.parse(task.updatedAt ?? '')));
  assert.equal(meta.eventTime, newest);
  assert.ok(snapshot.tasks.some((task) => task.desiredState === 'shutdown' && task.state === 'running'));
});

test('after an event, tasks are re-listed faster for a while to catch the task changes that follow', async (t) => {
  const { server, watcher, snapshots } = await watching(t, {
    relistIntervalMs: 60_000,
    eventRelistIntervalMs: 10,
    debounceMs: 10,
  });
  await watcher.start();
  await server.waitForEventStream();
  await until('the catch-up list ran', () => count(server, '/services') === 2);
  // Like a scale-up: the service changes (with an event), then its tasks change (without).
  server.state.services = recorded('rolling-update').services;
  server.emitEvent({ Type: 'service', Action: 'update' });
  await until('the event refresh', () => snapshots.length === 2);
  assert.equal(snapshots[1]?.[1].cause, 'event');
  server.state.tasks = recorded('rolling-update').tasks;
  await until('a re-list saw the tasks', () => snapshots.length === 3);
  assert.equal(snapshots[2]?.[1].cause, 'relist');
  assert.equal(count(server, '/services'), 3, 'task-only re-lists');
});

test('when Docker goes away: stale with the last good snapshot; when it is back: reconnected and fresh', async (t) => {
  const { server, watcher, snapshots, statuses } = await watching(t, {
    relistIntervalMs: 30,
    reconnectMinMs: 10,
    reconnectMaxMs: 40,
  });
  const first = await watcher.start();
  await until('connected', () => watcher.status.connected);

  await server.stop();
  await until('stale', () => watcher.status.stale);
  const stale = watcher.status;
  assert.equal(stale.connected, false);
  assert.equal(stale.lastError?.code, 'SG_ERR_DOCKER_UNREACHABLE');
  assert.match(stale.lastError?.message ?? '', new RegExp(`Docker at unix://${server.socketPath}`));
  assert.ok(typeof stale.staleSinceMs === 'number' && stale.staleSinceMs <= Date.now());
  assert.equal(watcher.snapshot, first, 'the last good snapshot is kept');
  // Failing re-lists keep the stale period's start.
  await sleep(100);
  assert.equal(watcher.status.staleSinceMs, stale.staleSinceMs);

  await server.listen();
  await until('fresh and connected again', () => watcher.status.connected && !watcher.status.stale);
  assert.deepEqual(watcher.status, { connected: true, stale: false });
  assert.equal(snapshots.length, 1, 'the same swarm after the restart: no new snapshot');
  assert.deepEqual(statuses.at(0), { connected: true, stale: false });
  assert.ok(statuses.some((s) => s.stale && !s.connected));

  // A change made while the watcher was away shows up once it is back.
  await server.stop();
  await until('stale again', () => watcher.status.stale);
  server.state.tasks = [];
  await server.listen();
  await until('the change arrived', () => snapshots.length === 2);
  assert.deepEqual(snapshots[1]?.[0].tasks, []);
});

test('a manager demoted to worker: stale with SG_ERR_DOCKER_NOT_SWARM, the event stream stays', async (t) => {
  const { server, watcher } = await watching(t, { relistIntervalMs: 20 });
  await watcher.start();
  await until('connected', () => watcher.status.connected);
  const streamsBefore = count(server, '/events');
  server.state.failure = { status: 503, body: NOT_A_MANAGER_BODY };
  await until('stale', () => watcher.status.stale);
  assert.equal(watcher.status.lastError?.code, 'SG_ERR_DOCKER_NOT_SWARM');
  assert.equal(watcher.status.connected, true);
  assert.equal(count(server, '/events'), streamsBefore);
  server.state.failure = undefined;
  await until('fresh', () => !watcher.status.stale);
});

test('start() rejects with the first error and leaves nothing running', async (t) => {
  const server = await EngineServer.start();
  t.after(() => server.dispose());
  server.state.failure = { status: 503, body: NOT_A_MANAGER_BODY };
  const client = new EngineClient(resolveDockerEndpoint({ url: `unix://${server.socketPath}`, env: {} }));
  t.after(() => client.close());
  const watcher = new SwarmWatcher(client, { relistIntervalMs: 10 });
  await assert.rejects(
    watcher.start(),
    (error) => error instanceof SwarmgateError && error.code === 'SG_ERR_DOCKER_NOT_SWARM',
  );
  const requests = server.requests.length;
  await sleep(50);
  assert.equal(server.requests.length, requests, 'no re-list after a failed start');
  assert.equal(watcher.snapshot, undefined);
});

test('close() stops the event stream, the re-list and pending refreshes', async (t) => {
  const { server, watcher } = await watching(t, { relistIntervalMs: 10, debounceMs: 10 });
  await watcher.start();
  await server.waitForEventStream();
  server.emitEvent({ Type: 'node', Action: 'update' });
  await watcher.close();
  await watcher.close();
  await until('the event stream is closed', () => server.eventStreams === 0);
  const requests = server.requests.length;
  await sleep(60);
  assert.equal(server.requests.length, requests, 'no request after close()');
});

test('a constructor does no I/O', async (t) => {
  const server = await EngineServer.start();
  t.after(() => server.dispose());
  const client = new EngineClient(resolveDockerEndpoint({ url: `unix://${server.socketPath}`, env: {} }));
  t.after(() => client.close());
  new SwarmWatcher(client);
  await sleep(20);
  assert.deepEqual(server.requests, []);
});

test('reconnect delays double from the minimum up to the cap, with half of each delay random', () => {
  fc.assert(
    fc.property(
      fc.nat(60),
      fc.integer({ min: 1, max: 10_000 }),
      fc.integer({ min: 1, max: 100_000 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (attempt, minMs, extra, random) => {
        const maxMs = minMs + extra;
        const ceiling = Math.min(maxMs, minMs * 2 ** attempt);
        const delay = reconnectDelay(attempt, minMs, maxMs, () => random);
        assert.ok(delay >= ceiling / 2 && delay <= ceiling, `${delay} within [${ceiling / 2}, ${ceiling}]`);
      },
    ),
  );
  assert.equal(
    reconnectDelay(0, 250, 10_000, () => 1),
    250,
  );
  assert.equal(
    reconnectDelay(3, 250, 10_000, () => 0),
    1000,
  );
  assert.equal(
    reconnectDelay(40, 250, 10_000, () => 1),
    10_000,
  );
});
