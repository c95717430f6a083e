import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import type { UpstreamRetryEvent } from '../../../../src/dataplane/http/diagnostics.js';
import { closedPort, startServer } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { channelMessages, send, startGateway } from './harness.js';

/**
 * One upstream that closes every keep-alive connection at its second request without answering: the
 * race of an upstream closing an idle connection (gunicorn after 2 s, say) just as the gateway reuses it.
 */
async function closingIdleUpstream(t: { after: (fn: () => Promise<void> | void) => void }) {
  const served = new WeakMap<Socket, number>();
  const origin = await startServer(t, (req, res) => {
    const count = (served.get(req.socket) ?? 0) + 1;
    served.set(req.socket, count);
    if (count > 1) {
      req.socket.destroy();
      return;
    }
    req.resume();
    res.end(`${req.method}:ok`);
  });
  return table(
    [route('web/default', 'web')],
    [backend('web', [upstream('task:only:80', { port: origin.port })])],
  );
}

test('a GET on a pooled connection the upstream had closed is resent on a new one, even to the only upstream', async (t) => {
  const retries = channelMessages<UpstreamRetryEvent>(t, 'swarmgate:upstream:retry');
  const { port, logs, registry } = await startGateway(t, await closingIdleUpstream(t));
  for (let i = 0; i < 6; i++) {
    const res = await send(port);
    assert.equal(res.status, 200, `request ${i + 1}`);
    assert.equal(res.body, 'GET:ok');
  }
  assert.equal(retries.length, 5, 'every request after the first met a closed pooled connection');
  for (const retry of retries) {
    assert.deepEqual(retry, {
      routeId: 'web/default',
      upstreamId: 'task:only:80',
      errorCode: 'SG_ERR_UPSTREAM_RESET',
      attempt: 2,
    });
  }
  const logged = logs.filter(
    (l) => l.msg === 'retrying the request: the upstream had closed the reused connection',
  );
  assert.equal(logged.length, 5);
  assert.equal(logged[0]!.cause, 'SG_UPSTREAM_STALE_CONNECTION');
  assert.equal(
    registry.get('task:only:80')?.healthy,
    true,
    'closing idle connections is no upstream failure',
  );
});

test('a POST on a pooled connection the upstream had closed is not resent (502) and does not mark it down', async (t) => {
  const { port, logs, registry } = await startGateway(t, await closingIdleUpstream(t));
  assert.equal((await send(port, { method: 'POST', body: 'first' })).status, 200);
  for (let i = 0; i < 4; i++) {
    const res = await send(port, { method: 'POST', body: 'again' });
    assert.equal(res.status, 502, 'the upstream may have taken it: never resent');
    assert.equal(res.body, '502 Bad Gateway (SG_ERR_UPSTREAM_RESET)\n');
    // The failed connection is gone; the next POST opens a fresh one, which answers.
    assert.equal((await send(port, { method: 'POST', body: 'fresh' })).status, 200);
  }
  assert.equal(logs.filter((l) => l.msg.startsWith('retrying')).length, 0);
  assert.equal(logs.filter((l) => l.code === 'SG_ERR_UPSTREAM_RESET').length, 4);
  assert.equal(registry.get('task:only:80')?.healthy, true, 'four stale connections are no upstream failure');
});

test('a resend after a stale connection spends no retry: two refusing upstreams first, then the stale one, still 200', async (t) => {
  const stale = await closingIdleUpstream(t);
  const [only] = stale.backends[0]!.upstreams;
  const { port, logs } = await startGateway(
    t,
    table(
      [route('web/default', 'web', { balance: 'round-robin' })],
      [
        backend('web', [
          only!,
          upstream('task:dead1:80', { port: await closedPort() }),
          upstream('task:dead2:80', { port: await closedPort() }),
        ]),
      ],
    ),
  );
  assert.equal((await send(port)).status, 200, 'round robin starts at the live one: a pooled connection');
  const res = await send(port);
  assert.equal(
    res.status,
    200,
    'dead1, dead2 (the two retries), then the stale connection: resent on a new one',
  );
  const attempts = logs.filter((l) => l.msg.startsWith('retrying')).map((l) => [l.upstreamId, l.code]);
  assert.deepEqual(attempts, [
    ['task:dead1:80', 'SG_ERR_UPSTREAM_CONNECT'],
    ['task:dead2:80', 'SG_ERR_UPSTREAM_CONNECT'],
    ['task:only:80', 'SG_ERR_UPSTREAM_RESET'],
  ]);
});
