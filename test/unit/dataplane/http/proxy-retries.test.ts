import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestEndEvent, UpstreamRetryEvent } from '../../../../src/dataplane/http/diagnostics.js';
import { UpstreamRegistry } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import type { Upstream } from '../../../../src/routing/table.js';
import { closedPort, freezableUpstream, startServer, waitFor } from '../upstreams/servers.js';
import { backend, registryOptions, route, table, upstream } from '../upstreams/table-fixtures.js';
import { channelMessages, send, startGateway } from './harness.js';

/** Round-robin starts at the first upstream, so the first request deterministically tries `first`. */
function twoUpstreams(first: number, second: number) {
  return table(
    [route('web/default', 'web', { balance: 'round-robin' })],
    [
      backend('web', [
        upstream('task:first:80', { port: first }),
        upstream('task:second:80', { port: second }),
      ]),
    ],
  );
}

/** A loopback port whose accept queue is full: a connect there hangs until the connect timeout. */
async function fullBacklogPort(t: Parameters<typeof freezableUpstream>[0]): Promise<number> {
  const silent = await freezableUpstream(t);
  await silent.freeze();
  return silent.port;
}

test('a refused connect is retried on another upstream for any method; every request succeeds', async (t) => {
  const retries = channelMessages<UpstreamRetryEvent>(t, 'swarmgate:upstream:retry');
  const ends = channelMessages<RequestEndEvent>(t, 'swarmgate:request:end');
  const live = await startServer(t, async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    res.end(`${req.method}:${body}`);
  });
  const { port, logs, registry } = await startGateway(t, twoUpstreams(await closedPort(), live.port));
  const first = await send(port, { method: 'POST', body: 'payload' });
  assert.equal(first.status, 200);
  assert.equal(first.body, 'POST:payload', 'the body reaches the second upstream intact');
  for (let i = 0; i < 10; i++) {
    const res = await send(port, { method: i % 2 ? 'GET' : 'DELETE' });
    assert.equal(res.status, 200);
  }
  assert.deepEqual(retries, [
    { routeId: 'web/default', upstreamId: 'task:first:80', errorCode: 'SG_ERR_UPSTREAM_CONNECT', attempt: 2 },
  ]);
  assert.equal(ends[0]?.retries, 1);
  assert.equal(ends[0]?.upstreamId, 'task:second:80');
  assert.equal(
    registry.get('task:first:80')?.healthy,
    false,
    'a refused connect marks the upstream down at once',
  );
  const logged = logs.filter((l) => l.msg === 'retrying the request on another upstream');
  assert.equal(logged.length, 1);
  assert.equal(logged[0]!.code, 'SG_ERR_UPSTREAM_CONNECT');
  assert.equal(logged[0]!.attempt, 1);
});

test('retries stop after two: three refusing upstreams answer 502', async (t) => {
  const ports = [await closedPort(), await closedPort(), await closedPort(), await closedPort()];
  const { port, logs } = await startGateway(
    t,
    table(
      [route('web/default', 'web')],
      [
        backend(
          'web',
          ports.map((p, i) => upstream(`task:dead${i}:80`, { port: p })),
        ),
      ],
    ),
  );
  const res = await send(port);
  assert.equal(res.status, 502);
  assert.equal(logs.filter((l) => l.msg === 'retrying the request on another upstream').length, 2);
  assert.equal(logs.filter((l) => l.code === 'SG_ERR_UPSTREAM_CONNECT').length, 3);
});

const CONNECT_TIMEOUT_MS = 300;

for (const [method, body] of [
  ['GET', undefined],
  ['PUT', 'payload'],
] as const) {
  test(`a connect timeout is retried on another upstream (${method}); the client gets its 200`, async (t) => {
    const retries = channelMessages<UpstreamRetryEvent>(t, 'swarmgate:upstream:retry');
    const ends = channelMessages<RequestEndEvent>(t, 'swarmgate:request:end');
    const silent = await fullBacklogPort(t);
    const seen: string[] = [];
    const live = await startServer(t, async (req, res) => {
      let received = '';
      for await (const chunk of req) received += chunk;
      seen.push(`${req.method}:${received}`);
      res.end('live');
    });
    const registry = new UpstreamRegistry(registryOptions({ connectTimeoutMs: CONNECT_TIMEOUT_MS }));
    const { port, logs } = await startGateway(t, twoUpstreams(silent, live.port), { registry });

    const res = await send(port, { method, ...(body === undefined ? {} : { body }) });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'live');
    assert.deepEqual(seen, [`${method}:${body ?? ''}`], 'the second upstream got the request, body intact');
    assert.deepEqual(retries, [
      {
        routeId: 'web/default',
        upstreamId: 'task:first:80',
        errorCode: 'SG_ERR_UPSTREAM_TIMEOUT',
        attempt: 2,
      },
    ]);
    assert.equal(ends.length, 1);
    assert.equal(ends[0]!.retries, 1);
    assert.equal(ends[0]!.upstreamId, 'task:second:80');
    assert.equal(ends[0]!.errorCode, undefined);
    assert.ok(
      (ends[0]!.durationMs ?? 0) >= CONNECT_TIMEOUT_MS - 20,
      `the first attempt waited out the connect timeout (${ends[0]!.durationMs} ms)`,
    );
    const logged = logs.filter((l) => l.msg === 'retrying the request on another upstream');
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.code, 'SG_ERR_UPSTREAM_TIMEOUT');
    assert.equal(
      logged[0]!.cause,
      'SG_UPSTREAM_CONNECT_TIMEOUT',
      'a connect timeout, not a refusal or reset',
    );
    assert.equal(logged[0]!.upstreamId, 'task:first:80');
    assert.equal(logged[0]!.attempt, 1);
    assert.equal(logs.filter((l) => l.msg === 'upstream request failed').length, 0);
    assert.equal(
      registry.get('task:first:80')?.healthy,
      false,
      'a connect timeout counts as a connect failure: the upstream is down at once',
    );
  });
}

test('a reset before the response is retried for a bodyless GET but not for a POST', async (t) => {
  const resetter = await startServer(t, (req) => req.socket.destroy());
  const live = await startServer(t, (req, res) => {
    req.resume();
    res.end('live');
  });
  const { port, logs } = await startGateway(t, twoUpstreams(resetter.port, live.port));
  const get = await send(port);
  assert.equal(get.status, 200);
  assert.equal(get.body, 'live');
  const retried = logs.filter((l) => l.msg === 'retrying the request on another upstream');
  assert.equal(retried.length, 1);
  assert.equal(retried[0]!.code, 'SG_ERR_UPSTREAM_RESET');

  const post = await send(port, { method: 'POST', body: 'not twice' });
  assert.equal(post.status, 502);
  assert.equal(post.body, '502 Bad Gateway (SG_ERR_UPSTREAM_RESET)\n');
  assert.equal(
    logs.filter((l) => l.msg === 'retrying the request on another upstream').length,
    1,
    'POST not retried',
  );
});

test('a GET is not retried once part of the response head had arrived', async (t) => {
  let halfAnswered = 0;
  const half = await startServer(t, (req) => {
    halfAnswered += 1;
    // Part of a head, then a reset (not a clean close, which would be a protocol error anyway).
    req.socket.write('HTTP/1.1 200 OK\r\ncontent-');
    setTimeout(() => req.socket.resetAndDestroy(), 50);
  });
  let live = 0;
  const other = await startServer(t, (_req, res) => {
    live += 1;
    res.end('live');
  });
  const { port, logs } = await startGateway(t, twoUpstreams(half.port, other.port));
  const res = await send(port);
  assert.equal(res.status, 502);
  assert.equal(res.body, '502 Bad Gateway (SG_ERR_UPSTREAM_RESET)\n');
  assert.equal(halfAnswered, 1);
  assert.equal(live, 0, 'not retried elsewhere');
  assert.ok(logs.some((l) => l.msg === 'upstream request failed'));
});

test('keep-alive connections the upstream closes after each response never fail a GET', async (t) => {
  const web = await startServer(t, (req, res) => {
    res.end('ok', () => setImmediate(() => req.socket.destroy()));
  });
  const other = await startServer(t, (_req, res) => {
    res.end('ok', () => {});
  });
  const { port } = await startGateway(t, twoUpstreams(web.port, other.port));
  for (let i = 0; i < 50; i++) {
    const res = await send(port);
    assert.equal(res.status, 200, `request ${i}`);
  }
});

test('a retry picks from the table in use now: a task that appeared after the request began takes it', async (t) => {
  const blackhole = await fullBacklogPort(t);
  const live = await startServer(t, (_req, res) => res.end('live'));
  const first = upstream('task:first:80', { port: blackhole });
  const web = (upstreams: Upstream[], version: string) =>
    table([route('web/default', 'web')], [backend('web', upstreams)], version);
  const { port, gateway } = await startGateway(t, web([first], 'v1'), {
    registry: new UpstreamRegistry(registryOptions({ connectTimeoutMs: CONNECT_TIMEOUT_MS })),
  });
  const starts = channelMessages<unknown>(t, 'swarmgate:request:start');
  const answer = send(port);
  await waitFor(() => starts.length === 1, 'the request routed on v1');
  // While its connect to the only upstream of v1 hangs, v2 adds a live one.
  gateway.setTable(web([first, upstream('task:live:80', { port: live.port })], 'v2'));
  const res = await answer;
  assert.equal(res.status, 200);
  assert.equal(res.body, 'live');
});
