import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import type { RequestEndEvent, UpstreamRetryEvent } from '../../../../src/dataplane/http/diagnostics.js';
import type { UpstreamHealthEvent } from '../../../../src/dataplane/upstreams/health-channel.js';
import { UpstreamRegistry } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import type { Upstream } from '../../../../src/routing/table.js';
import { freezableUpstream, startServer, waitFor } from '../upstreams/servers.js';
import { backend, registryOptions, route, table, upstream } from '../upstreams/table-fixtures.js';
import { channelMessages, send, startGateway } from './harness.js';
import { startWebSocketEcho } from './websocket-backend.js';

// Issue 17, "a partitioned node must not hang clients": an upstream that leaves the table while a
// request waits there for its response (its node went down or was cut off) must not keep the client
// until the upstream timeout, which these tests set far above every bound they check.
const UPSTREAM_TIMEOUT_MS = 30_000;
/** Also bounds the probe of a removed upstream. */
const CONNECT_TIMEOUT_MS = 300;
/** What the client may wait in all: the probe, plus generous slack for a loaded machine. */
const BOUND_MS = 5_000;

function options() {
  return registryOptions({ connectTimeoutMs: CONNECT_TIMEOUT_MS, upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS });
}

/** Round-robin starts at the first upstream, so the first request deterministically goes to `first`. */
function bothUpstreams(first: number, second: number) {
  return routeTable(
    'v1',
    upstream('task:first:80', { port: first }),
    upstream('task:second:80', { port: second }),
  );
}

/** The table once `task:first:80` left it. */
function secondOnly(second: number) {
  return routeTable('v2', upstream('task:second:80', { port: second }));
}

function routeTable(version: string, ...upstreams: Upstream[]) {
  return table(
    [route('web/default', 'web', { balance: 'round-robin' })],
    [backend('web', upstreams)],
    version,
  );
}

for (const method of ['GET', 'POST'] as const) {
  const outcome = method === 'GET' ? 'retried on another upstream' : `answered 502`;
  test(`a ${method} waiting on an upstream that left the table and stopped answering is ${outcome} at once`, async (t) => {
    const retries = channelMessages<UpstreamRetryEvent>(t, 'swarmgate:upstream:retry');
    const ends = channelMessages<RequestEndEvent>(t, 'swarmgate:request:end');
    const health = channelMessages<UpstreamHealthEvent>(t, 'swarmgate:upstream:health');
    const gone = await freezableUpstream(t);
    const seen: string[] = [];
    const live = await startServer(t, (req, res) => {
      seen.push(req.method!);
      res.end('live');
    });
    const registry = new UpstreamRegistry(options());
    const { port, gateway } = await startGateway(t, bothUpstreams(gone.port, live.port), { registry });

    const started = Date.now();
    const pending = send(port, { method, ...(method === 'POST' ? { body: 'order=1' } : {}) });
    await waitFor(() => gone.requests === 1, 'the first upstream got the request');
    await gone.freeze();
    gateway.setTable(secondOnly(live.port));
    const res = await pending;
    const waited = Date.now() - started;

    assert.ok(waited < BOUND_MS, `the client waited ${waited} ms, not the upstream timeout`);
    const [ended] = ends;
    if (method === 'GET') {
      assert.equal(res.status, 200);
      assert.equal(res.body, 'live');
      assert.deepEqual(seen, ['GET']);
      assert.deepEqual(retries, [
        {
          routeId: 'web/default',
          upstreamId: 'task:first:80',
          errorCode: 'SG_ERR_UPSTREAM_UNREACHABLE',
          attempt: 2,
        },
      ]);
      assert.equal(ended?.errorCode, undefined);
    } else {
      assert.equal(res.status, 502);
      assert.match(res.body, /SG_ERR_UPSTREAM_UNREACHABLE/);
      assert.deepEqual(seen, [], 'a request with a body is not sent again: it may have been processed');
      assert.deepEqual(retries, []);
      assert.equal(ended?.errorCode, 'SG_ERR_UPSTREAM_UNREACHABLE');
    }
    assert.deepEqual(health, [
      {
        id: 'task:first:80',
        address: `127.0.0.1:${gone.port}`,
        healthy: false,
        source: 'removed',
        reason: 'timeout',
        ended: 1,
      },
    ]);
  });
}

test('a response under way from a removed upstream that stopped answering is left alone', async (t) => {
  const health = channelMessages<UpstreamHealthEvent>(t, 'swarmgate:upstream:health');
  const gone = await freezableUpstream(t, 'HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello');
  const live = await startServer(t, (_req, res) => res.end('live'));
  const registry = new UpstreamRegistry(options());
  // Only the gone upstream at first, so both requests go there.
  const { port, gateway } = await startGateway(
    t,
    routeTable('v1', upstream('task:first:80', { port: gone.port })),
    {
      registry,
    },
  );

  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest({
      port,
      host: '127.0.0.1',
      path: '/partial',
      agent: false,
      headers: { host: 'app.example.com' },
    });
    req.on('response', resolve).on('error', reject).end();
    t.after(() => {
      req.destroy();
    });
  });
  let body = '';
  let ended = false;
  res.on('data', (chunk: Buffer) => {
    body += chunk;
  });
  res.on('close', () => {
    ended = true;
  });
  await waitFor(() => body === 'hello', 'the first body bytes');
  const waiting = send(port, { method: 'POST', body: 'order=1' });
  await waitFor(() => gone.requests === 2, 'the upstream got the second request');
  await gone.freeze();
  gateway.setTable(secondOnly(live.port));
  const post = await waiting;

  assert.equal(post.status, 502, 'the request that had no answer yet ended');
  assert.equal(health.length, 1);
  assert.equal(health[0]!.ended, 1, 'only the exchange with no response byte');
  assert.equal(res.statusCode, 200);
  assert.equal(ended, false, 'the response under way goes on: it completes, or ends on the upstream timeout');
  assert.equal(registry.get('task:first:80')?.inflight, 1);
});

test('a removed upstream whose host still answers keeps its requests, even with its listener closed', async (t) => {
  // A task of a rolling update or a scale-down on a live node: it stops listening first, then finishes
  // what it has. A refused probe is an answer from the host.
  const held: Array<(body: string) => void> = [];
  const stopping = await startServer(t, (_req, res) => {
    held.push((body) => res.end(body));
  });
  const live = await startServer(t, (_req, res) => res.end('live'));
  const registry = new UpstreamRegistry(options());
  const health = channelMessages<UpstreamHealthEvent>(t, 'swarmgate:upstream:health');
  const { port, gateway } = await startGateway(t, bothUpstreams(stopping.port, live.port), { registry });

  const pending = send(port);
  await waitFor(() => held.length === 1, 'the first upstream got the request');
  stopping.close();
  gateway.setTable(secondOnly(live.port));
  // Well past the probe's bound (the connect timeout), which a refused connect does not even wait for.
  await new Promise((resolve) => setTimeout(resolve, 3 * CONNECT_TIMEOUT_MS));
  held[0]!('finished');
  const res = await pending;
  assert.equal(res.status, 200);
  assert.equal(res.body, 'finished');
  assert.deepEqual(health, [], 'the removed upstream was not found unreachable');
});

test('an upgrade waiting for its answer from an upstream that left the table and stopped answering is retried at once', async (t) => {
  const retries = channelMessages<UpstreamRetryEvent>(t, 'swarmgate:upstream:retry');
  const gone = await freezableUpstream(t);
  const live = await startWebSocketEcho(t, 'live');
  const registry = new UpstreamRegistry(options());
  // The tunnel's own wait for the answer is far above the bound too.
  const { port, gateway } = await startGateway(t, bothUpstreams(gone.port, live.port), {
    registry,
    tunnelHeadersTimeoutMs: UPSTREAM_TIMEOUT_MS,
  });

  const started = Date.now();
  const client = connect(port, '127.0.0.1');
  t.after(() => {
    client.destroy();
  });
  let reply = '';
  const switched = new Promise<void>((resolve) => {
    client.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n\r\n')) resolve();
    });
  });
  client.write(
    'GET /ws HTTP/1.1\r\nHost: app.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await waitFor(() => gone.requests === 1, 'the first upstream got the upgrade');
  await gone.freeze();
  gateway.setTable(secondOnly(live.port));
  await switched;
  const waited = Date.now() - started;

  assert.ok(waited < BOUND_MS, `the client waited ${waited} ms, not the tunnel's answer timeout`);
  assert.match(reply, /^HTTP\/1\.1 101 Switching Protocols\r\n/, JSON.stringify(reply));
  assert.deepEqual(
    retries.map((retry) => retry.errorCode),
    ['SG_ERR_UPSTREAM_UNREACHABLE'],
  );
});
