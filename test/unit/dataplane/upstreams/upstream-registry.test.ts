import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { fetchFromPool } from '../../../../src/dataplane/upstreams/http1/pool-fetch.js';
import { UpstreamRegistry } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import type { Upstream } from '../../../../src/routing/table.js';
import { startServer, waitFor } from './servers.js';
import { backend, ManualClock, registryOptions, route, table, upstream } from './table-fixtures.js';

function tableOf(upstreams: Upstream[], version = 'v1') {
  return table([route('app/default', 'app:task:80')], [backend('app:task:80', upstreams)], version);
}

function newRegistry(t: { after: (fn: () => Promise<void>) => void }, clock = new ManualClock()) {
  const registry = new UpstreamRegistry(registryOptions({ now: clock.now }));
  t.after(() => registry.close());
  return registry;
}

test('a new table updates the same handles, keeping in-flight counts', (t) => {
  const registry = newRegistry(t);
  registry.sync(tableOf([upstream('task:a:80'), upstream('task:b:80')]));
  const a = registry.get('task:a:80')!;
  a.requestStarted();
  a.requestStarted();
  registry.sync(tableOf([upstream('task:a:80', { slot: 2 }), upstream('task:c:80')], 'v2'));
  assert.equal(registry.get('task:a:80'), a);
  assert.equal(a.inflight, 2);
  assert.equal(a.upstream.slot, 2);
  assert.equal(a.state, 'ready');
  assert.equal(registry.get('task:b:80'), undefined);
  assert.deepEqual(
    [...registry.handles()].map((h) => h.id),
    ['task:a:80', 'task:c:80'],
  );
});

test('ready → draining records when draining started; back to ready clears it', (t) => {
  const clock = new ManualClock();
  const registry = newRegistry(t, clock);
  registry.sync(tableOf([upstream('task:a:80')]));
  const a = registry.get('task:a:80')!;
  assert.equal(a.drainingSince, undefined);
  assert.ok(a.available());
  const startedAt = clock.ms;
  registry.sync(tableOf([upstream('task:a:80', { state: 'draining' })]));
  clock.advance(5_000);
  registry.sync(tableOf([upstream('task:a:80', { state: 'draining' })]));
  assert.equal(a.state, 'draining');
  assert.equal(a.drainingSince, startedAt);
  assert.equal(a.available(), false);
  assert.ok(a.stickyUsable(clock.ms));
  assert.equal(a.stickyUsable(startedAt + 30_000), false);
  registry.sync(tableOf([upstream('task:a:80')]));
  assert.equal(a.drainingSince, undefined);
  assert.ok(a.available());
});

test('an upstream first seen draining takes no new sessions and starts its drain clock', (t) => {
  const clock = new ManualClock();
  const registry = newRegistry(t, clock);
  registry.sync(tableOf([upstream('task:a:80', { state: 'draining' })]));
  const a = registry.get('task:a:80')!;
  assert.equal(a.drainingSince, clock.ms);
  assert.equal(a.available(), false);
});

test('a removed upstream finishes its running request, then its pool closes', async (t) => {
  let release: (() => void) | undefined;
  const server = await startServer(t, (_req, res) => {
    res.writeHead(200);
    res.write('first part,');
    release = () => res.end('second part');
  });
  const registry = newRegistry(t);
  registry.sync(tableOf([upstream('task:a:80', { port: server.port })]));
  const handle = registry.get('task:a:80')!;
  handle.requestStarted();
  const response = fetchFromPool(handle.pool, 'GET', '/slow', ['host', 'a.test'], { timeoutMs: 10_000 });
  await waitFor(() => release !== undefined, 'the upstream to get the request');
  registry.sync(tableOf([], 'v2'));
  assert.equal(handle.state, 'removed');
  assert.equal(handle.available(), false);
  assert.equal(handle.stickyUsable(Date.now()), false);
  assert.equal(handle.pool.closed, false, 'pool must stay open while a request runs');
  assert.equal(registry.get('task:a:80'), handle);
  release!();
  assert.equal((await response).body.toString(), 'first part,second part');
  handle.requestFinished();
  assert.equal(handle.pool.closed, true);
  await waitFor(() => handle.pool.connections === 0, 'the pool to finish closing');
  assert.equal(registry.get('task:a:80'), undefined);
});

test('an idle removed upstream closes its pool at once', async (t) => {
  const server = await startServer(t, (_req, res) => res.end('ok'));
  const registry = newRegistry(t);
  registry.sync(tableOf([upstream('task:a:80', { port: server.port })]));
  const handle = registry.get('task:a:80')!;
  await fetchFromPool(handle.pool, 'GET', '/', ['host', 'a.test'], { timeoutMs: 5_000 });
  registry.sync(tableOf([], 'v2'));
  assert.equal(handle.pool.closed, true);
  assert.equal(registry.get('task:a:80'), undefined);
});

test('an upstream back in the table before its pool closed is the same handle again', (t) => {
  const registry = newRegistry(t);
  registry.sync(tableOf([upstream('task:a:80')]));
  const handle = registry.get('task:a:80')!;
  handle.requestStarted();
  registry.sync(tableOf([], 'v2'));
  assert.equal(handle.state, 'removed');
  registry.sync(tableOf([upstream('task:a:80')], 'v3'));
  assert.equal(registry.get('task:a:80'), handle);
  assert.equal(handle.state, 'ready');
  handle.requestFinished();
  assert.equal(registry.get('task:a:80'), handle);
  assert.equal(handle.inflight, 0);
});

test('an id whose address changed gets a new handle; the old one retires', (t) => {
  const registry = newRegistry(t);
  registry.sync(tableOf([upstream('task:a:80', { host: '10.0.0.1' })]));
  const old = registry.get('task:a:80')!;
  registry.sync(tableOf([upstream('task:a:80', { host: '10.0.0.2' })], 'v2'));
  const fresh = registry.get('task:a:80')!;
  assert.notEqual(fresh, old);
  assert.equal(fresh.address, '10.0.0.2:9');
  assert.equal(old.state, 'removed');
});

test('IPv6 upstreams get a bracketed address and a pool on the plain host', async (t) => {
  const registry = newRegistry(t);
  registry.sync(tableOf([upstream('task:v6:80', { host: 'fd00::1', port: 8080 })]));
  const handle = registry.get('task:v6:80')!;
  assert.equal(handle.address, '[fd00::1]:8080');
  assert.equal(handle.pool.host, 'fd00::1');
  assert.equal(handle.pool.port, 8080);
});

test('close() closes every pool and stops health checks', async (t) => {
  const server = await startServer(t, (_req, res) => res.end('ok'));
  const registry = new UpstreamRegistry(registryOptions());
  const health = { path: '/health', intervalMs: 10, timeoutMs: 1_000 };
  registry.sync(
    table(
      [route('app/default', 'b', { health })],
      [backend('b', [upstream('task:a:80', { port: server.port })])],
    ),
  );
  const handle = registry.get('task:a:80')!;
  await once(server, 'request');
  await registry.close();
  assert.equal(handle.pool.closed, true);
  assert.deepEqual([...registry.handles()], []);
});
