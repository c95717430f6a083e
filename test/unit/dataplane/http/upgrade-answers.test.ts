import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { rawExchange, startGateway } from './harness.js';
import { startRawOrigin } from './raw-origin.js';

// Issue 17: the upstream's answer to an upgrade is read by the same strict parser as every response.

const HOST = '127.0.0.1';
const UPGRADE =
  `GET /ws HTTP/1.1\r\nHost: ${HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** A gateway with a sticky route to a raw origin that answers the first request head with `answer`. */
async function answeringWith(t: TestContext, answer: string): Promise<number> {
  const origin = await startRawOrigin(t, (connection) => {
    if (connection.nextHead() !== undefined) connection.socket.write(answer);
  });
  const { port } = await startGateway(
    t,
    table(
      [route('ws/default', 'ws', { hosts: [HOST], sticky: { cookie: 'sg_ws' } })],
      [backend('ws', [upstream('task:ws:80', { port: origin.port })])],
    ),
  );
  return port;
}

const REFUSED: Record<string, string> = {
  'a 101 with bare LF line endings':
    'HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\n',
  'a 101 with one bare LF':
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\nConnection: Upgrade\r\n\r\n',
  'a 101 with obs-fold':
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n Connection: Upgrade\r\n\r\n',
  'a refusal with conflicting Content-Length':
    'HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nnope!',
  'a refusal in a coding other than chunked':
    'HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: gzip\r\n\r\nnope',
  'an oversized head': `HTTP/1.1 101 Switching Protocols\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
  'garbage that never ends a head': 'SSH-2.0-OpenSSH_9.6\r\n',
  'an HTTP/2 answer': 'HTTP/2 101\r\n\r\n',
};

for (const [name, answer] of Object.entries(REFUSED)) {
  test(`an upgrade answered with ${name} gets 502 SG_ERR_UPSTREAM_PROTOCOL at once`, async (t) => {
    const port = await answeringWith(t, answer);
    const { reply, closed } = await rawExchange(port, UPGRADE, 3_000);
    assert.match(reply, /^HTTP\/1\.1 502 Bad Gateway\r\n/, JSON.stringify(reply));
    assert.ok(reply.endsWith('(SG_ERR_UPSTREAM_PROTOCOL)\n'), JSON.stringify(reply));
    assert.ok(closed, 'answered before the liveness bound, not at the response timeout');
  });
}

test('a refusal with Transfer-Encoding and Content-Length goes on as the chunked body says, with the sticky cookie', async (t) => {
  const port = await answeringWith(
    t,
    'HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\nContent-Length: 100\r\n\r\n' +
      '4\r\nnope\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n',
  );
  const { reply, closed } = await rawExchange(port, UPGRADE, 3_000);
  assert.ok(closed);
  assert.match(reply, /^HTTP\/1\.1 401 Unauthorized\r\n/);
  assert.match(reply, /\r\nset-cookie: sg_ws=/i);
  assert.match(reply, /\r\nconnection: close\r\n/);
  assert.doesNotMatch(reply, /content-length/i);
  assert.match(reply, /\r\ntransfer-encoding: chunked\r\n/);
  assert.ok(reply.endsWith('\r\n\r\n4\r\nnope\r\n0\r\n\r\n'), JSON.stringify(reply));
});

test('a refusal whose chunked body breaks its framing cuts the client connection', async (t) => {
  const port = await answeringWith(
    t,
    'HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnope\r\nzz\r\n',
  );
  const { reply, closed } = await rawExchange(port, UPGRADE, 3_000);
  assert.ok(closed);
  assert.match(reply, /^HTTP\/1\.1 403 Forbidden\r\n/);
  assert.ok(reply.endsWith('\r\n\r\n4\r\nnope\r\n'), `no last chunk: ${JSON.stringify(reply)}`);
});

test('a 101 after an interim 100 switches, with the sticky cookie and the first bytes of the new protocol', async (t) => {
  const port = await answeringWith(
    t,
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n' +
      'Connection: Upgrade\r\n\r\nfirst',
  );
  const { reply } = await rawExchange(port, UPGRADE, 500);
  const head = reply.slice(0, reply.indexOf('\r\n\r\n'));
  assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/, JSON.stringify(reply));
  assert.match(head, /\r\nset-cookie: sg_ws=/i);
  assert.match(head, /\r\nupgrade: websocket\r\n/i);
  assert.ok(reply.endsWith('\r\n\r\nfirst'), JSON.stringify(reply));
});

test('interim responses do not extend the wait for the answer to an upgrade: 504 at the deadline', async (t) => {
  const timers: NodeJS.Timeout[] = [];
  t.after(() => {
    for (const timer of timers) clearInterval(timer);
  });
  const origin = await startRawOrigin(t, (connection) => {
    if (connection.nextHead() === undefined) return;
    const socket = connection.socket;
    timers.push(setInterval(() => socket.write('HTTP/1.1 102 Processing\r\n\r\n'), 100));
  });
  const { port } = await startGateway(
    t,
    table(
      [route('ws/default', 'ws', { hosts: [HOST] })],
      [backend('ws', [upstream('task:ws:80', { port: origin.port })])],
    ),
    { tunnelHeadersTimeoutMs: 400 },
  );
  const started = Date.now();
  const { reply, closed } = await rawExchange(port, UPGRADE, 5_000);
  const waited = Date.now() - started;
  assert.ok(closed);
  assert.match(reply, /^HTTP\/1\.1 504 Gateway Timeout\r\n/, JSON.stringify(reply));
  assert.ok(reply.endsWith('(SG_ERR_UPSTREAM_TIMEOUT)\n'), JSON.stringify(reply));
  // 32 interim answers would end it as a protocol error after 3.2 s; the deadline is 400 ms.
  assert.ok(waited < 2_500, `answered after ${waited} ms`);
});
