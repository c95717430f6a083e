import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestEndEvent, UpstreamRetryEvent } from '../../../../src/dataplane/http/diagnostics.js';
import { closedPort, startServer } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { channelMessages, type LogLine, send, startGateway } from './harness.js';

// Which methods a reset before the first response byte may resend, and which it may not.

const RETRY_LOG = 'retrying the request on another upstream';

/** Round-robin starts at the first upstream and retries on the next one, so the order is fixed. */
function upstreams(...ports: number[]) {
  const names = ['first', 'second', 'third'];
  return table(
    [route('web/default', 'web', { balance: 'round-robin' })],
    [
      backend(
        'web',
        ports.map((port, i) => upstream(`task:${names[i]}:80`, { port })),
      ),
    ],
  );
}

/** Reads the whole request, records `METHOD:body`, then resets the connection (RST) without a response byte. */
async function resettingUpstream(t: { after: (fn: () => Promise<void> | void) => void }) {
  const seen: string[] = [];
  const server = await startServer(t, async (req) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push(`${req.method}:${body}`);
    req.socket.resetAndDestroy();
  });
  return { port: server.port, seen };
}

/** Answers 200 `live` with an `x-upstream: live` header, recording `METHOD:body`. */
async function liveUpstream(t: { after: (fn: () => Promise<void> | void) => void }) {
  const seen: string[] = [];
  const server = await startServer(t, async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push(`${req.method}:${body}`);
    res.setHeader('x-upstream', 'live');
    res.end('live');
  });
  return { port: server.port, seen };
}

/** A log line without what pino adds on its own (time, pid, hostname). */
function fields(line: LogLine): Record<string, unknown> {
  const { time: _time, pid: _pid, hostname: _hostname, ...rest } = line;
  return rest;
}

for (const method of ['HEAD', 'OPTIONS']) {
  test(`a reset before any response byte is retried for a bodyless ${method}`, async (t) => {
    const retries = channelMessages<UpstreamRetryEvent>(t, 'swarmgate:upstream:retry');
    const ends = channelMessages<RequestEndEvent>(t, 'swarmgate:request:end');
    const resetter = await resettingUpstream(t);
    const live = await liveUpstream(t);
    const { port, logs } = await startGateway(t, upstreams(resetter.port, live.port));

    const res = await send(port, { method });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-upstream'], 'live', 'the answer is the second upstream’s');
    assert.equal(res.body, method === 'HEAD' ? '' : 'live');
    assert.deepEqual(resetter.seen, [`${method}:`], 'the first upstream got the request and reset');
    assert.deepEqual(live.seen, [`${method}:`], 'resent once to the second upstream');
    assert.deepEqual(retries, [
      { routeId: 'web/default', upstreamId: 'task:first:80', errorCode: 'SG_ERR_UPSTREAM_RESET', attempt: 2 },
    ]);
    assert.equal(ends.length, 1);
    assert.equal(ends[0]!.retries, 1);
    assert.equal(ends[0]!.upstreamId, 'task:second:80');
    assert.equal(ends[0]!.status, 200);
    const logged = logs.filter((l) => l.msg === RETRY_LOG);
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.code, 'SG_ERR_UPSTREAM_RESET');
    assert.equal(logged[0]!.method, method);
  });
}

for (const [name, method, headers] of [
  ['PUT with Content-Length', 'PUT', { 'content-length': '7' }],
  ['PUT chunked', 'PUT', { 'transfer-encoding': 'chunked' }],
  ['DELETE with Content-Length', 'DELETE', { 'content-length': '7' }],
  ['GET with Content-Length', 'GET', { 'content-length': '7' }],
] as const) {
  test(`a reset before any response byte is not retried for a ${name} body: 502`, async (t) => {
    const retries = channelMessages<UpstreamRetryEvent>(t, 'swarmgate:upstream:retry');
    const ends = channelMessages<RequestEndEvent>(t, 'swarmgate:request:end');
    const resetter = await resettingUpstream(t);
    const live = await liveUpstream(t);
    const { port, logs, registry } = await startGateway(t, upstreams(resetter.port, live.port));

    const res = await send(port, { method, headers, body: 'payload' });
    assert.equal(res.status, 502);
    assert.equal(res.body, '502 Bad Gateway (SG_ERR_UPSTREAM_RESET)\n');
    assert.deepEqual(resetter.seen, [`${method}:payload`], 'the body reached the first upstream whole');
    assert.deepEqual(live.seen, [], 'the second upstream saw no request');
    assert.deepEqual(retries, []);
    assert.equal(logs.filter((l) => l.msg === RETRY_LOG).length, 0);
    const failed = logs.filter((l) => l.msg === 'upstream request failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.code, 'SG_ERR_UPSTREAM_RESET');
    assert.equal(failed[0]!.upstreamId, 'task:first:80');
    assert.equal(failed[0]!.attempt, 1);
    assert.equal(failed[0]!.method, method);
    assert.equal(ends.length, 1);
    assert.equal(ends[0]!.retries, 0);
    assert.equal(ends[0]!.errorCode, 'SG_ERR_UPSTREAM_RESET');
    assert.equal(ends[0]!.status, 502);
    assert.equal(
      registry.get('task:first:80')?.healthy,
      true,
      'one reset is a passive-health strike, not a mark-down',
    );
  });
}

test('each retry is logged with its code, cause, failed upstream and attempt', async (t) => {
  const retries = channelMessages<UpstreamRetryEvent>(t, 'swarmgate:upstream:retry');
  const ends = channelMessages<RequestEndEvent>(t, 'swarmgate:request:end');
  const refusing = await closedPort();
  const resetter = await resettingUpstream(t);
  const live = await liveUpstream(t);
  const { port, logs } = await startGateway(t, upstreams(refusing, resetter.port, live.port));

  const res = await send(port, { path: '/orders?id=7' });
  assert.equal(res.status, 200);
  assert.equal(res.headers['x-upstream'], 'live');
  assert.deepEqual(resetter.seen, ['GET:']);
  assert.deepEqual(live.seen, ['GET:']);

  const common = {
    level: 40,
    msg: RETRY_LOG,
    routeId: 'web/default',
    method: 'GET',
    host: 'app.example.com',
  };
  assert.deepEqual(
    logs.filter((l) => l.msg === RETRY_LOG).map(fields),
    [
      {
        ...common,
        code: 'SG_ERR_UPSTREAM_CONNECT',
        upstreamId: 'task:first:80',
        attempt: 1,
        cause: 'ECONNREFUSED',
      },
      {
        ...common,
        code: 'SG_ERR_UPSTREAM_RESET',
        upstreamId: 'task:second:80',
        attempt: 2,
        cause: 'ECONNRESET',
      },
    ],
    'one warn line per retry, naming the upstream that failed and the attempt that failed',
  );
  assert.equal(logs.filter((l) => l.msg === 'upstream request failed').length, 0, 'the request succeeded');
  assert.deepEqual(retries, [
    { routeId: 'web/default', upstreamId: 'task:first:80', errorCode: 'SG_ERR_UPSTREAM_CONNECT', attempt: 2 },
    { routeId: 'web/default', upstreamId: 'task:second:80', errorCode: 'SG_ERR_UPSTREAM_RESET', attempt: 3 },
  ]);
  assert.equal(ends.length, 1);
  assert.equal(ends[0]!.retries, 2);
  assert.equal(ends[0]!.upstreamId, 'task:third:80');
  assert.equal(ends[0]!.status, 200);
  assert.equal(ends[0]!.url, '/orders?id=7');
  assert.equal(ends[0]!.errorCode, undefined);
});
