import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { MAX_PIPELINED_REQUESTS } from '../../../../src/dataplane/http/pipeline-order.js';
import { startServer, waitFor } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { rawExchange, rawSocket, readUntil, send, startGateway } from './harness.js';
import { readTextFrame, startWebSocketEcho, textFrame } from './websocket-backend.js';

/** An origin that records the requests it got and how many ran at once. */
async function countingOrigin(t: Parameters<typeof startServer>[0]) {
  const seen: string[] = [];
  let running = 0;
  let most = 0;
  const origin = await startServer(t, (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    running += 1;
    most = Math.max(most, running);
    req.resume();
    // Answers after a beat, so requests started at once would overlap.
    setTimeout(() => {
      running -= 1;
      res.end(`answer to ${req.url}`);
    }, 20);
  });
  const routes = table(
    [route('web/default', 'web', { hosts: ['app.example.com'] })],
    [backend('web', [upstream('task:web1:80', { port: origin.port })])],
  );
  return { seen, routes, most: () => most };
}

test('pipelined requests run one at a time and are answered in order', async (t) => {
  const origin = await countingOrigin(t);
  const { port } = await startGateway(t, origin.routes);
  const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: app.example.com\r\n\r\n`;
  const { reply } = await rawExchange(
    port,
    `${get('/1')}POST /2 HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 3\r\n\r\nabc${get('/3')}`.replace(
      /\r\n\r\n$/,
      '\r\nConnection: close\r\n\r\n',
    ),
  );
  const bodies = [...reply.matchAll(/answer to (\/\d)/g)].map((m) => m[1]);
  assert.deepEqual(bodies, ['/1', '/2', '/3']);
  assert.deepEqual(origin.seen, ['GET /1', 'POST /2', 'GET /3']);
  assert.equal(origin.most(), 1, 'the upstream never had two of them at once');
});

test('a request pipelined behind an answer that closes the connection is never processed', async (t) => {
  const origin = await countingOrigin(t);
  const { port, logs } = await startGateway(t, origin.routes);
  // A path refused as ambiguous is answered 400 with connection: close.
  const { reply, closed } = await rawExchange(
    port,
    'GET /a/..;/b HTTP/1.1\r\nHost: app.example.com\r\n\r\n' +
      'POST /order HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 5\r\n\r\nhello',
  );
  assert.ok(closed);
  assert.match(reply, /^HTTP\/1\.1 400 /);
  assert.equal((reply.match(/HTTP\/1\.1 /g) ?? []).length, 1, 'one answer: the 400');
  assert.deepEqual(origin.seen, [], 'the POST behind it never reached the upstream (RFC 9112 §9.6)');
  assert.equal(logs.filter((l) => l.msg === 'pipelined request dropped: its connection closes').length, 1);
});

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: app.example.com\r\n\r\n`;
const answers = (reply: string) =>
  [...reply.matchAll(/answer to (\/(?:attack\/\w+\/)?\d+)/g)].map((m) => m[1]);

test('a full pipeline (the bound) is answered in order, and the connection then reads on', async (t) => {
  const origin = await countingOrigin(t);
  const { port } = await startGateway(t, origin.routes);
  const socket = await rawSocket(t, port);
  const paths = Array.from({ length: MAX_PIPELINED_REQUESTS }, (_, i) => `/${i}`);
  socket.write(paths.map(get).join(''));
  const done = (received: Buffer) => answers(received.toString('latin1')).length === paths.length;
  assert.deepEqual(answers((await readUntil(socket, done)).toString('latin1')), paths);
  socket.write(get('/after'));
  const after = await readUntil(socket, (received) => received.includes('answer to /after'));
  assert.match(after.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
});

test('requests pipelined past the bound are dropped unprocessed; the accepted ones are answered, then the connection closes', async (t) => {
  const origin = await countingOrigin(t);
  const { port, logs } = await startGateway(t, origin.routes);
  const paths = Array.from({ length: MAX_PIPELINED_REQUESTS + 8 }, (_, i) => `/${i}`);
  const { reply, closed } = await rawExchange(port, paths.map(get).join(''));
  assert.ok(closed);
  const accepted = paths.slice(0, MAX_PIPELINED_REQUESTS);
  assert.deepEqual(answers(reply), accepted, 'the accepted ones, in order, and no other answer');
  assert.equal((reply.match(/HTTP\/1\.1 /g) ?? []).length, accepted.length);
  assert.deepEqual(
    origin.seen,
    accepted.map((path) => `GET ${path}`),
  );
  assert.equal(logs.filter((l) => l.msg.startsWith('pipelined requests past the bound')).length, 1);
});

test('past the bound the gateway reads no more: what the client sends later never arrives', async (t) => {
  const origin = await countingOrigin(t);
  const { port, logs } = await startGateway(t, origin.routes);
  const client = await rawSocket(t, port);
  client.on('error', () => {});
  let reply = '';
  client.on('data', (chunk: Buffer) => {
    reply += chunk.toString('latin1');
  });
  const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
  const paths = Array.from({ length: MAX_PIPELINED_REQUESTS + 8 }, (_, i) => `/${i}`);
  client.write(paths.map(get).join(''));
  await waitFor(() => reply.includes('answer to /0'), 'the first answer');
  // Read, these would be dropped past MAX_DROPPED_REQUESTS, and the connection destroyed.
  client.write(Array.from({ length: 2_000 }, (_, i) => get(`/later/${i}`)).join(''));
  await closed;
  assert.deepEqual(answers(reply), paths.slice(0, MAX_PIPELINED_REQUESTS));
  assert.deepEqual(
    logs.filter((l) => l.msg.startsWith('pipelined requests far past')),
    [],
  );
});

/** A raw connection that pipelines `count` tiny requests `/attack/<name>/<i>` in writes of 1,000 each. */
async function pipeliningAttacker(
  t: Parameters<typeof rawSocket>[0],
  port: number,
  name: string,
  count: number,
) {
  const socket = await rawSocket(t, port);
  socket.on('error', () => {});
  const attacker = { name, reply: '', closed: false };
  socket.on('data', (chunk: Buffer) => {
    attacker.reply += chunk.toString('latin1');
  });
  socket.on('close', () => {
    attacker.closed = true;
  });
  for (let batch = 0; batch < count; batch += 1000) {
    let text = '';
    for (let i = batch; i < Math.min(count, batch + 1000); i++) text += get(`/attack/${name}/${i}`);
    socket.write(text);
  }
  return attacker;
}

test('issue 17: clients pipelining 40,000 requests each do not slow other clients, and the upstream sees only the bound of them', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning);
  };
  process.on('warning', onWarning);
  t.after(() => {
    process.off('warning', onWarning);
  });
  const attacks: string[] = [];
  const origin = await startServer(t, (req, res) => {
    if (req.url?.startsWith('/attack/')) attacks.push(req.url);
    req.resume();
    res.end(`answer to ${req.url}`);
  });
  const { port, logs } = await startGateway(
    t,
    table(
      [route('web/default', 'web', { hosts: ['app.example.com'] })],
      [backend('web', [upstream('task:web1:80', { port: origin.port })])],
    ),
  );
  // Three connections with 40,000 tiny requests (1.8 MB) each.
  const attackers = await Promise.all(
    ['a', 'b', 'c'].map((name) => pipeliningAttacker(t, port, name, 40_000)),
  );
  // A well-behaved client meanwhile: one request after another, each on a new connection.
  const latencies: number[] = [];
  const deadline = Date.now() + 8_000;
  const attacking = () => attackers.some((attacker) => !attacker.closed);
  while (Date.now() < deadline && (latencies.length < 20 || attacking()) && latencies.length < 500) {
    const started = Date.now();
    const { status } = await send(port, { path: '/polite' });
    latencies.push(Date.now() - started);
    assert.equal(status, 200);
  }
  for (const { name, reply, closed } of attackers) {
    const ran = attacks.filter((url) => url.startsWith(`/attack/${name}/`));
    assert.ok(
      ran.length <= MAX_PIPELINED_REQUESTS,
      `the upstream saw ${ran.length} of attacker ${name}'s requests`,
    );
    assert.ok(closed, `attacker ${name}'s connection closed`);
    // Closed after the accepted requests' answers, or destroyed at once past MAX_DROPPED_REQUESTS.
    const answered = answers(reply);
    assert.deepEqual(answered, ran.slice(0, answered.length), 'answers in order, to requests that ran');
  }
  const slowest = Math.max(...latencies);
  assert.ok(slowest < 2_000, `the well-behaved client waited up to ${slowest} ms`);
  assert.deepEqual(
    warnings.map((w) => w.name),
    [],
  );
  assert.equal(logs.filter((l) => l.msg.startsWith('pipelined requests past the bound')).length, 3);
});

const UPGRADE_TO_CHAT =
  'GET /chat HTTP/1.1\r\nHost: app.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

test('an upgrade pipelined behind a GET gets its 101 after the GET response, and its tunnel works', async (t) => {
  const echo = await startWebSocketEcho(t, 'ws');
  const slow = await startServer(t, (req, res) => {
    req.resume();
    setTimeout(() => res.end('slow answer'), 150);
  });
  const { port } = await startGateway(
    t,
    table(
      [
        route('chat/default', 'chat', { hosts: ['app.example.com'], path: '/chat' }),
        route('web/default', 'web', { hosts: ['app.example.com'] }),
      ],
      [
        backend('chat', [upstream('task:ws:80', { port: echo.port })]),
        backend('web', [upstream('task:web1:80', { port: slow.port })]),
      ],
    ),
  );
  const client = await rawSocket(t, port);
  client.write(`${get('/slow')}${UPGRADE_TO_CHAT}`);
  const heads = await readUntil(client, (received) =>
    /101 Switching[\s\S]*\r\n\r\n$/.test(received.toString('latin1')),
  );
  assert.match(
    heads.toString('latin1'),
    /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nslow answerHTTP\/1\.1 101 Switching/,
  );
  client.write(textFrame('hi', true));
  assert.equal(
    readTextFrame(await readUntil(client, (received) => readTextFrame(received) !== undefined)),
    'ws:hi',
  );
});

/** A gateway routing `/chat` to a WebSocket echo server (`seen`: its upgrades) and the rest to an origin that answers at once. */
async function gatewayWithChat(t: Parameters<typeof startServer>[0], seen: IncomingMessage[] = []) {
  const origin = await startServer(t, (req, res) => {
    req.resume();
    res.end(`answer to ${req.url}`);
  });
  const echo = await startWebSocketEcho(t, 'ws', seen);
  return startGateway(
    t,
    table(
      [
        route('chat/default', 'chat', { hosts: ['app.example.com'], path: '/chat' }),
        route('web/default', 'web', { hosts: ['app.example.com'] }),
      ],
      [
        backend('chat', [upstream('task:ws:80', { port: echo.port })]),
        backend('web', [upstream('task:web1:80', { port: origin.port })]),
      ],
    ),
  );
}

test('an upgrade pipelined as the last request within the bound is tunnelled after the answers', async (t) => {
  const { port } = await gatewayWithChat(t);
  const client = await rawSocket(t, port);
  const paths = Array.from({ length: MAX_PIPELINED_REQUESTS - 1 }, (_, i) => `/${i}`);
  client.write(`${paths.map(get).join('')}${UPGRADE_TO_CHAT}`);
  const heads = await readUntil(client, (received) =>
    /101 Switching[\s\S]*\r\n\r\n$/.test(received.toString('latin1')),
  );
  assert.deepEqual(answers(heads.toString('latin1')), paths);
  client.write(textFrame('hi', true));
  assert.equal(
    readTextFrame(await readUntil(client, (received) => readTextFrame(received) !== undefined)),
    'ws:hi',
  );
});

test('an upgrade or CONNECT pipelined past the bound is dropped; the accepted requests are answered, then the connection closes', async (t) => {
  const seen: IncomingMessage[] = [];
  const { port, logs } = await gatewayWithChat(t, seen);
  const paths = Array.from({ length: MAX_PIPELINED_REQUESTS }, (_, i) => `/${i}`);
  for (const last of [UPGRADE_TO_CHAT, 'CONNECT x.example:443 HTTP/1.1\r\nHost: x.example:443\r\n\r\n']) {
    const { reply, closed } = await rawExchange(port, `${paths.map(get).join('')}${last}`);
    assert.ok(closed);
    assert.deepEqual(answers(reply), paths);
    assert.equal((reply.match(/HTTP\/1\.1 /g) ?? []).length, paths.length, 'no 101, no 501');
  }
  assert.deepEqual(seen, [], 'the upgrade never reached the upstream');
  assert.equal(logs.filter((l) => l.msg === 'pipelined request dropped: its connection closes').length, 2);
  assert.deepEqual(
    logs.filter((l) => l.msg === 'rejected a client request'),
    [],
  );
});

test('an upgrade pipelined behind an answer that closes the connection is never tunnelled', async (t) => {
  const seen: IncomingMessage[] = [];
  const echo = await startWebSocketEcho(t, 'ws', seen);
  const { port, logs } = await startGateway(
    t,
    table(
      [route('chat/default', 'chat', { hosts: ['app.example.com'], path: '/chat' })],
      [backend('chat', [upstream('task:ws:80', { port: echo.port })])],
    ),
  );
  // A path refused as ambiguous is answered 400 with connection: close.
  const { reply, closed } = await rawExchange(
    port,
    `GET /a/..;/b HTTP/1.1\r\nHost: app.example.com\r\n\r\n${UPGRADE_TO_CHAT}`,
  );
  assert.ok(closed);
  assert.match(reply, /^HTTP\/1\.1 400 /);
  assert.equal((reply.match(/HTTP\/1\.1 /g) ?? []).length, 1, 'one answer: the 400');
  assert.deepEqual(seen, [], 'the upgrade never reached the upstream');
  assert.equal(logs.filter((l) => l.msg === 'pipelined request dropped: its connection closes').length, 1);
});
