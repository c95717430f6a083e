import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { type TestContext, test } from 'node:test';
import { WebSocket } from 'undici';
import { closedPort, startServer, waitFor } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { deferred, rawExchange, rawSocket, readUntil, startGateway } from './harness.js';
import { readTextFrame, startWebSocketEcho, textFrame } from './websocket-backend.js';

const HOST = '127.0.0.1';

function upgradeRequest(path: string, extra = ''): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
  );
}

function headOf(data: Buffer): string {
  return data.subarray(0, data.indexOf('\r\n\r\n')).toString('latin1');
}

test('WebSocket echo through the gateway, sticky: the 101 carries the cookie and the cookie pins the upstream', async (t) => {
  const seenA: IncomingMessage[] = [];
  const seenB: IncomingMessage[] = [];
  const a = await startWebSocketEcho(t, 'a', seenA);
  const b = await startWebSocketEcho(t, 'b', seenB);
  const { port, registry } = await startGateway(
    t,
    table(
      [route('chat/default', 'chat', { hosts: [HOST], path: '/chat', sticky: { cookie: 'sg_chat' } })],
      [backend('chat', [upstream('task:a:80', { port: a.port }), upstream('task:b:80', { port: b.port })])],
    ),
  );
  const client = await rawSocket(t, port);
  client.write(upgradeRequest('/chat/room?x=1'));
  const answer = await readUntil(client, (r) => r.includes('\r\n\r\n'));
  const head = headOf(answer);
  assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  const cookie = /\r\nset-cookie: (sg_chat=[^;]+);/i.exec(head)?.[1];
  assert.ok(cookie, 'the 101 carries the sticky cookie');
  client.write(textFrame('hello', true));
  const echoed = readTextFrame(await readUntil(client, (r) => readTextFrame(r) !== undefined));
  const pinned = echoed!.split(':')[0]!;
  assert.equal(echoed, `${pinned}:hello`);
  const upstreamReq = [...seenA, ...seenB][0]!;
  assert.equal(upstreamReq.url, '/chat/room?x=1');
  assert.equal(upstreamReq.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(upstreamReq.headers.upgrade, 'websocket');
  await waitFor(() => registry.get(`task:${pinned}:80`)?.inflight === 1, 'the tunnel counted in flight');

  for (let i = 0; i < 4; i++) {
    const ws = new WebSocket(`ws://${HOST}:${port}/chat`, { headers: { cookie } });
    const message = deferred<string>();
    ws.onmessage = (event) => message.resolve(String(event.data));
    ws.onerror = () => message.reject(new Error('websocket error'));
    ws.onopen = () => ws.send(`round ${i}`);
    assert.equal(await message.promise, `${pinned}:round ${i}`);
    const closed = deferred<void>();
    ws.onclose = () => closed.resolve();
    ws.close();
    await closed.promise;
  }
  client.destroy();
  await waitFor(
    () => registry.get('task:a:80')?.inflight === 0 && registry.get('task:b:80')?.inflight === 0,
    'tunnels closed on both sides',
  );
});

test('an upgrade whose first upstream refuses the connect is retried on another', async (t) => {
  const live = await startWebSocketEcho(t, 'live');
  const { port, logs } = await startGateway(
    t,
    table(
      [route('chat/default', 'chat', { hosts: [HOST], balance: 'round-robin' })],
      [
        backend('chat', [
          upstream('task:dead:80', { port: await closedPort() }),
          upstream('task:live:80', { port: live.port }),
        ]),
      ],
    ),
  );
  const client = await rawSocket(t, port);
  client.write(upgradeRequest('/'));
  const head = headOf(await readUntil(client, (r) => r.includes('\r\n\r\n')));
  assert.match(head, /^HTTP\/1\.1 101 /);
  assert.ok(
    logs.some(
      (l) => l.msg === 'retrying the upgrade on another upstream' && l.code === 'SG_ERR_UPSTREAM_CONNECT',
    ),
  );
});

test('an upgrade the upstream refuses is passed on with the sticky cookie and connection: close', async (t) => {
  const refusing = await startServer(t, () => {});
  refusing.on('upgrade', (_req, socket) => {
    socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\nnope');
  });
  const { port } = await startGateway(
    t,
    table(
      [route('chat/default', 'chat', { hosts: [HOST], sticky: { cookie: 'sg_chat' } })],
      [backend('chat', [upstream('task:r:80', { port: refusing.port })])],
    ),
  );
  const { reply, closed } = await rawExchange(port, upgradeRequest('/'));
  assert.match(reply, /^HTTP\/1\.1 401 Unauthorized\r\n/);
  assert.match(reply, /\r\nset-cookie: sg_chat=/i);
  assert.match(reply, /\r\nconnection: close\r\n/);
  assert.doesNotMatch(reply, /keep-alive/i);
  assert.ok(reply.endsWith('\r\n\r\nnope'));
  assert.ok(closed);
});

test('a refused upgrade ends with its response even when the upstream keeps its connection open', async (t) => {
  const refusals: Record<string, string> = {
    '/length': 'HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\n\r\ndenied',
    '/chunked': 'HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n6\r\ndenied\r\n0\r\n\r\n',
  };
  const refusing = await startServer(t, () => {});
  refusing.on('upgrade', (req, socket) => {
    // Written in two pieces and followed by bytes of a next response; the connection stays open.
    const answer = refusals[req.url ?? ''] ?? '';
    socket.on('end', () => socket.destroy());
    socket.write(answer.slice(0, 30));
    setTimeout(() => socket.write(`${answer.slice(30)}HTTP/1.1 200 OK\r\n\r\n`), 20);
  });
  const { port } = await startGateway(
    t,
    table(
      [route('chat/default', 'chat', { hosts: [HOST] })],
      [backend('chat', [upstream('task:r:80', { port: refusing.port })])],
    ),
  );
  for (const [path, answer] of Object.entries(refusals)) {
    const { reply, closed } = await rawExchange(port, upgradeRequest(path), 2_000);
    assert.ok(closed, `${path}: the client connection is closed once the refusal is complete`);
    assert.match(reply, /^HTTP\/1\.1 403 Forbidden\r\n/, path);
    const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
    assert.ok(
      reply.endsWith(`\r\n\r\n${body}`),
      `${path}: the reply ends with the body: ${JSON.stringify(reply)}`,
    );
  }
});

/** A raw upstream that reads one request head, records it and answers with `answer(head)`. */
async function oneShotUpstream(t: TestContext, answer: (head: string) => string) {
  const heads: string[] = [];
  const server = createNetServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (chunk) => {
      const head = chunk.toString('latin1');
      heads.push(head);
      socket.write(answer(head));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const gateway = await startGateway(
    t,
    table(
      [route('web/default', 'web', { hosts: [HOST] })],
      [backend('web', [upstream('task:h:80', { port: (server.address() as AddressInfo).port })])],
    ),
  );
  return { port: gateway.port, heads };
}

const H2C_REQUEST =
  `GET /admin HTTP/1.1\r\nHost: ${HOST}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n` +
  'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n';
const SWITCH_TO_H2C = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n';

test('Upgrade: h2c goes to the upstream as a plain request, never as a tunnel; its answer is relayed, then closed', async (t) => {
  // An h2c server that would switch whenever asked, HTTP2-Settings or not.
  const { port, heads } = await oneShotUpstream(t, (head) =>
    /^upgrade: h2c/im.test(head) ? SWITCH_TO_H2C : 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain',
  );
  const { reply, closed } = await rawExchange(port, H2C_REQUEST);
  assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
  assert.ok(reply.endsWith('\r\n\r\nplain'), JSON.stringify(reply));
  assert.ok(closed);
  assert.equal(heads.length, 1);
  assert.doesNotMatch(heads[0]!, /^upgrade:/im, 'the upstream is not asked to switch');
  assert.doesNotMatch(heads[0]!, /^http2-settings:/im);
});

test('an upstream that switches to h2c unasked gets no tunnel: 502 SG_ERR_UPSTREAM_PROTOCOL', async (t) => {
  const { port } = await oneShotUpstream(t, () => SWITCH_TO_H2C);
  const { reply, closed } = await rawExchange(port, H2C_REQUEST);
  assert.match(reply, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.ok(reply.endsWith('(SG_ERR_UPSTREAM_PROTOCOL)\n'), JSON.stringify(reply));
  assert.ok(closed);
});

test('an upgrade without a route is refused with 404 and closed', async (t) => {
  const { port } = await startGateway(t, table([], []));
  const { reply, closed } = await rawExchange(port, upgradeRequest('/'));
  assert.match(reply, /^HTTP\/1\.1 404 Not Found\r\n/);
  assert.ok(reply.endsWith('404 Not Found (SG_ERR_NO_ROUTE)\n'));
  assert.ok(closed);
});

test('an upgrade with no available upstream is refused with 503 and Retry-After, and closed', async (t) => {
  const { port } = await startGateway(
    t,
    table([route('chat/default', 'chat', { hosts: [HOST] })], [backend('chat', [])]),
  );
  const { reply, closed } = await rawExchange(port, upgradeRequest('/'));
  assert.match(reply, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
  assert.match(reply, /\r\nretry-after: 5\r\n/);
  assert.ok(reply.endsWith('503 Service Unavailable (SG_ERR_NO_UPSTREAM)\n'));
  assert.ok(closed);
});

test('an upgrade on plain HTTP to a redirect-https route gets 308 to https and is closed, never tunnelled', async (t) => {
  let upgrades = 0;
  const ws = await startServer(t, () => {});
  ws.on('upgrade', (_req, socket) => {
    upgrades += 1;
    socket.destroy();
  });
  const { port } = await startGateway(
    t,
    table(
      [route('chat/default', 'chat', { hosts: [HOST], redirectHttps: true })],
      [backend('chat', [upstream('task:chat1:80', { port: ws.port })])],
    ),
  );
  const { reply, closed } = await rawExchange(port, upgradeRequest('/socket?room=1'));
  assert.match(reply, /^HTTP\/1\.1 308 Permanent Redirect\r\n/);
  assert.match(reply, new RegExp(`\\r\\nlocation: https://${HOST}/socket\\?room=1\\r\\n`));
  assert.ok(closed);
  assert.equal(upgrades, 0);
});

test("an upgrade announcing a body over the route's limit is refused with 413, never tunnelled", async (t) => {
  let upgrades = 0;
  const ws = await startServer(t, () => {});
  ws.on('upgrade', (_req, socket) => {
    upgrades += 1;
    socket.destroy();
  });
  const { port, logs } = await startGateway(
    t,
    table(
      [route('chat/default', 'chat', { hosts: [HOST], maxBodyBytes: 10 })],
      [backend('chat', [upstream('task:chat1:80', { port: ws.port })])],
    ),
  );
  const { reply, closed } = await rawExchange(port, upgradeRequest('/', 'Content-Length: 11\r\n'));
  assert.match(reply, /^HTTP\/1\.1 413 /);
  assert.ok(reply.includes('(SG_ERR_BODY_TOO_LARGE)'));
  assert.ok(closed);
  assert.equal(upgrades, 0);
  assert.ok(logs.some((l) => l.code === 'SG_ERR_BODY_TOO_LARGE' && l.routeId === 'chat/default'));
});

test('when the upstream closes a tunnel, the client connection closes too', async (t) => {
  const closer = await startServer(t, () => {});
  closer.on('upgrade', (_req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x-test\r\nConnection: Upgrade\r\n\r\nbye');
    socket.end();
  });
  const { port, gateway } = await startGateway(
    t,
    table(
      [route('x/default', 'x', { hosts: [HOST] })],
      [backend('x', [upstream('task:x:80', { port: closer.port })])],
    ),
  );
  const { reply, closed } = await rawExchange(
    port,
    `GET / HTTP/1.1\r\nHost: ${HOST}\r\nUpgrade: x-test\r\nConnection: Upgrade\r\n\r\n`,
  );
  assert.match(reply, /^HTTP\/1\.1 101 /);
  assert.ok(reply.endsWith('\r\n\r\nbye'));
  assert.ok(closed);
  await waitFor(() => gateway.inflight === 0, 'the tunnel ended');
});
