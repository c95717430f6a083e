import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer, waitFor } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { deferred, send, startGateway } from './harness.js';

test('routes state lists an upstream gone from the table while its requests still run, then no longer', async (t) => {
  const release = deferred();
  const slow = await startServer(t, (_req, res) => {
    release.promise.then(() => res.end('slow'));
  });
  const fast = await startServer(t, (_req, res) => res.end('fast'));
  const both = (version: string, ...ups: ReturnType<typeof upstream>[]) =>
    table([route('web/default', 'web')], [backend('web', ups)], version);
  const { gateway, registry, port } = await startGateway(
    t,
    both('v1', upstream('task:slow:80', { port: slow.port })),
  );
  const running = send(port);
  await waitFor(() => registry.get('task:slow:80')?.inflight === 1, 'the request to reach the slow upstream');
  gateway.setTable(both('v2', upstream('task:fast:80', { port: fast.port })));

  const during = gateway.routesState()!;
  assert.deepEqual(
    during.backends[0]!.upstreams.map((u) => u.id),
    ['task:fast:80'],
  );
  assert.equal(during.retiring.length, 1);
  assert.equal(during.retiring[0]!.id, 'task:slow:80');
  assert.deepEqual(during.retiring[0]!.runtime, {
    healthy: true,
    inflight: 1,
    state: 'removed',
    drainingSince: null,
  });

  release.resolve();
  assert.equal((await running).body, 'slow', 'the request finished on the upstream that left');
  await waitFor(
    () => gateway.routesState()!.retiring.length === 0,
    'the retired upstream to leave the state',
  );
});
