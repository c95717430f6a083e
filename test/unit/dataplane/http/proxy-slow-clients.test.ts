import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HttpLimits } from '../../../../src/dataplane/http/http-limits.js';
import { UpstreamRegistry } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import { startServer, waitFor } from '../upstreams/servers.js';
import { backend, registryOptions, route, table, upstream } from '../upstreams/table-fixtures.js';
import { rawExchange, rawSocket, readUntil, send, startGateway } from './harness.js';

const UPSTREAM_TIMEOUT_MS = 300;

/** A gateway with a short upstream timeout in front of one origin; `answer` is the origin. */
async function gatewayBefore(
  t: Parameters<typeof startServer>[0],
  answer: Parameters<typeof startServer>[1],
  limits: Partial<HttpLimits> = {},
) {
  const origin = await startServer(t, answer);
  const registry = new UpstreamRegistry(registryOptions({ upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS }));
  const gateway = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:only:80', { port: origin.port })])]),
    { registry, limits },
  );
  return gateway;
}

test('a client that stops reading a download is cut as SG_ERR_CLIENT_TIMEOUT; the upstream stays up', async (t) => {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const { port, logs, registry } = await gatewayBefore(t, (req, res) => {
    if (req.url !== '/big') {
      res.end('small');
      return;
    }
    // Writes until the gateway stops reading it, as long as the test runs.
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on('drain', pump);
    pump();
  });
  for (let i = 0; i < 3; i++) {
    const socket = await rawSocket(t, port);
    socket.write('GET /big HTTP/1.1\r\nHost: app.example.com\r\n\r\n');
    await readUntil(socket, (received) => received.length > 0);
    socket.pause();
    await waitFor(
      () => logs.filter((l) => l.code === 'SG_ERR_CLIENT_TIMEOUT').length > i,
      'the stalled download to be cut',
    );
  }
  const cut = logs.filter((l) => l.code === 'SG_ERR_CLIENT_TIMEOUT');
  assert.equal(cut.length, 3);
  assert.equal(cut[0]!.msg, 'upstream failed while streaming the response; closing the client connection');
  assert.equal(cut[0]!.cause, 'SG_UPSTREAM_STALLED_BY_CLIENT');
  assert.equal(logs.filter((l) => l.code === 'SG_ERR_UPSTREAM_TIMEOUT').length, 0);
  assert.equal(
    registry.get('task:only:80')?.healthy,
    true,
    'three stalled clients do not take the upstream down',
  );
  assert.equal((await send(port)).status, 200);
});

test('a client that stops sending its streamed request body gets 408 SG_ERR_CLIENT_TIMEOUT; the upstream stays up', async (t) => {
  const { port, logs, registry } = await gatewayBefore(
    t,
    (req, res) => {
      // The gateway aborts the stalled uploads it forwarded: 'aborted' errors are expected.
      req.on('error', () => {});
      req.on('end', () => res.end('done'));
      req.resume();
    },
    // Streamed, so the upstream timeout watches it (a buffered body: proxy-request-buffer.test.ts).
    { requestBufferBytes: 0 },
  );
  for (let i = 0; i < 3; i++) {
    const { reply, closed } = await rawExchange(
      port,
      'POST /upload HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 10\r\n\r\nhalf.',
    );
    assert.ok(closed, 'the connection is closed');
    assert.match(reply, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(reply, /\(SG_ERR_CLIENT_TIMEOUT\)\n$/);
  }
  const cut = logs.filter((l) => l.code === 'SG_ERR_CLIENT_TIMEOUT');
  assert.equal(cut.length, 3);
  assert.equal(cut[0]!.cause, 'SG_UPSTREAM_STALLED_BY_CLIENT');
  assert.equal(
    registry.get('task:only:80')?.healthy,
    true,
    'three stalled uploads do not take the upstream down',
  );
  assert.equal((await send(port, { method: 'POST', body: '0123456789' })).body, 'done');
});

test('an upstream that stops reading a request body is still its own timeout (504)', async (t) => {
  const { port, logs } = await gatewayBefore(t, (req) => {
    req.pause();
  });
  const { reply } = await rawExchange(
    port,
    Buffer.concat([
      Buffer.from('POST /upload HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 33554432\r\n\r\n'),
      Buffer.alloc(32 * 1024 * 1024, 'y'),
    ]),
  );
  assert.match(reply, /^HTTP\/1\.1 504 /);
  assert.equal(logs.filter((l) => l.code === 'SG_ERR_UPSTREAM_TIMEOUT').length, 1);
});
