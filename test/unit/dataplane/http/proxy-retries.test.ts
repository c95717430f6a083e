import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { test } from 'node:test';
import type { RequestEndEvent, UpstreamRetryEvent } from '../../../../src/dataplane/http/diagnostics.js';
import { closedPort, startServer } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { send, startGateway } from './harness.js';

/** Collects the messages published on a channel during one test. */
function listen<T>(t: { after: (fn: () => void) => void }, name: string): T[] {
  const seen: T[] = [];
  const onMessage = (message: unknown): void => {
    seen.push(message as T);
  };
  diagnostics_channel.subscribe(name, onMessage);
  t.after(() => diagnostics_channel.unsubscribe(name, onMessage));
  return seen;
}

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

test('a refused connect is retried on another upstream for any method; every request succeeds', async (t) => {
  const retries = listen<UpstreamRetryEvent>(t, 'swarmgate:upstream:retry');
  const ends = listen<RequestEndEvent>(t, 'swarmgate:request:end');
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
