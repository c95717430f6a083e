import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type UpstreamHealthEvent,
  upstreamHealthChannel,
} from '../../../../src/dataplane/upstreams/health-channel.js';
import { UpstreamRegistry } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import type { HealthCheckConfig } from '../../../../src/routing/table.js';
import { startServer, waitFor } from './servers.js';
import { backend, registryOptions, route, table, upstream } from './table-fixtures.js';

const health: HealthCheckConfig = { path: '/health', intervalMs: 10, timeoutMs: 1_000 };

async function flippingServer(t: Parameters<typeof startServer>[0]) {
  const state = { status: 200, checks: 0, paths: new Set<string>() };
  const server = await startServer(t, (req, res) => {
    state.checks++;
    state.paths.add(`${req.method} ${req.url}`);
    res.writeHead(state.status).end();
  });
  return { server, state };
}

function healthTable(port: number, config: HealthCheckConfig | null, version = 'v1') {
  return table(
    [route('app/default', 'b', { health: config })],
    [backend('b', [upstream('task:a:80', { port })])],
    version,
  );
}

test('an active check marks the upstream down on failures and up again on a pass', async (t) => {
  const { server, state } = await flippingServer(t);
  const events: UpstreamHealthEvent[] = [];
  const onEvent = (m: unknown) => events.push(m as UpstreamHealthEvent);
  upstreamHealthChannel.subscribe(onEvent);
  t.after(() => upstreamHealthChannel.unsubscribe(onEvent));
  const registry = new UpstreamRegistry(registryOptions({ activeUnhealthyAfter: 2 }));
  t.after(() => registry.close());
  registry.sync(healthTable(server.port, health));
  const handle = registry.get('task:a:80')!;

  await waitFor(() => state.checks >= 2, 'the first checks');
  assert.equal(handle.healthy, true);
  state.status = 500;
  await waitFor(() => !handle.healthy, 'the upstream to be marked down');
  assert.equal(handle.available(), false);
  state.status = 200;
  await waitFor(() => handle.healthy, 'the upstream to be marked up');
  assert.deepEqual([...state.paths], ['GET /health']);
  assert.deepEqual(
    events.map((e) => [e.id, e.healthy, e.source]),
    [
      ['task:a:80', false, 'active'],
      ['task:a:80', true, 'active'],
    ],
  );
  assert.equal(events[0]!.reason, '500');
});

test('an upstream that does not answer the check within the timeout is marked down', async (t) => {
  const server = await startServer(t, (req, res) => {
    if (req.url !== '/health') res.end();
  });
  const registry = new UpstreamRegistry(registryOptions({ activeUnhealthyAfter: 1 }));
  t.after(() => registry.close());
  registry.sync(healthTable(server.port, { path: '/health', intervalMs: 10, timeoutMs: 50 }));
  const handle = registry.get('task:a:80')!;
  await waitFor(() => !handle.healthy, 'the hanging upstream to be marked down');
});

test('checks stop when the route drops its health config, and health is forgotten', async (t) => {
  const { server, state } = await flippingServer(t);
  state.status = 500;
  const registry = new UpstreamRegistry(registryOptions({ activeUnhealthyAfter: 1 }));
  t.after(() => registry.close());
  registry.sync(healthTable(server.port, health));
  const handle = registry.get('task:a:80')!;
  await waitFor(() => !handle.healthy, 'the upstream to be marked down');
  registry.sync(healthTable(server.port, null, 'v2'));
  assert.equal(handle.healthy, true);
  const checksAfterStop = state.checks;
  await sleep(100);
  assert.ok(state.checks <= checksAfterStop + 1, 'at most the check already on the wire');
});

test('checks stop when the upstream leaves the table', async (t) => {
  const { server, state } = await flippingServer(t);
  const registry = new UpstreamRegistry(registryOptions());
  t.after(() => registry.close());
  registry.sync(healthTable(server.port, health));
  await waitFor(() => state.checks >= 1, 'a first check');
  registry.sync(table([], [], 'v2'));
  const checksAfterStop = state.checks;
  await sleep(100);
  assert.ok(state.checks <= checksAfterStop + 1);
});

test('a changed check config restarts the check with the new path', async (t) => {
  const { server, state } = await flippingServer(t);
  const registry = new UpstreamRegistry(registryOptions());
  t.after(() => registry.close());
  registry.sync(healthTable(server.port, health));
  await waitFor(() => state.checks >= 1, 'a first check');
  registry.sync(healthTable(server.port, { ...health, path: '/ready' }, 'v2'));
  await waitFor(() => state.paths.has('GET /ready'), 'a check on the new path');
});

test('a check path that is not an origin-form target is never written, and the check fails', async (t) => {
  const events: UpstreamHealthEvent[] = [];
  const onEvent = (m: unknown) => events.push(m as UpstreamHealthEvent);
  upstreamHealthChannel.subscribe(onEvent);
  t.after(() => upstreamHealthChannel.unsubscribe(onEvent));
  // CR LF would end the request line early; U+010D U+010A are written as CR LF by a latin1 write.
  for (const path of ['/hc HTTP/1.1\r\nHost: evil\r\n\r\nGET /smuggled', '/hc\u010d\u010aX-Injected: 1']) {
    const { server, state } = await flippingServer(t);
    const registry = new UpstreamRegistry(registryOptions({ activeUnhealthyAfter: 1 }));
    t.after(() => registry.close());
    registry.sync(healthTable(server.port, { ...health, path }));
    const handle = registry.get('task:a:80')!;
    await waitFor(() => !handle.healthy, 'the upstream to be marked down');
    await sleep(50);
    assert.equal(state.checks, 0, `nothing reached the upstream for ${JSON.stringify(path)}`);
    assert.equal(events.at(-1)?.reason, 'invalid-path');
  }
});
