import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { UpstreamRegistry } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import { backend, registryOptions, route, table, upstream } from '../upstreams/table-fixtures.js';
import { rawExchange, rawSocket, readUntil, startGateway } from './harness.js';

/** Interim (1xx) responses from the upstream: which reach the client, and how long they may last. */

interface AfterHook {
  after: (fn: () => Promise<void> | void) => void;
}

/** A raw TCP origin: `answer` runs for each (bodyless) request head that arrives on a connection. */
async function rawOrigin(t: AfterHook, answer: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      for (let end = received.indexOf('\r\n\r\n'); end >= 0; end = received.indexOf('\r\n\r\n')) {
        received = received.slice(end + 4);
        answer(socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/** A gateway in front of `answer` (a raw origin); the upstream timeout as given. */
async function gatewayBefore(t: AfterHook, answer: (socket: Socket) => void, upstreamTimeoutMs = 5_000) {
  const port = await rawOrigin(t, answer);
  const registry = new UpstreamRegistry(registryOptions({ upstreamTimeoutMs }));
  return startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:only:80', { port })])]),
    { registry },
  );
}

const HINTS =
  'HTTP/1.1 103 Early Hints\r\n' +
  'Link: </a.css>; rel=preload; as=style, </b.js>; rel=preload; title="b and c"\r\n' +
  'Connection: X-Hop\r\n' +
  'X-Hop: 1\r\n' +
  'Keep-Alive: timeout=5\r\n' +
  'Content-Length: 0\r\n' +
  'X-Hint: \xe9t\xe9\r\n' +
  '\r\n';
const FINAL = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
const GET = 'GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n';

test('a 103 Early Hints reaches an HTTP/1.1 client before the response, hop-by-hop fields removed', async (t) => {
  const { port } = await gatewayBefore(t, (socket) => {
    socket.write(HINTS, 'latin1');
    setTimeout(() => socket.write(FINAL), 20);
  });
  const client = await rawSocket(t, port);
  client.write(GET);
  const reply = (await readUntil(client, (got) => got.toString('latin1').endsWith('\r\n\r\nok'))).toString(
    'latin1',
  );
  assert.equal(
    reply.slice(0, reply.indexOf('HTTP/1.1 200')),
    'HTTP/1.1 103 Early Hints\r\n' +
      'Link: </a.css>; rel=preload; as=style, </b.js>; rel=preload; title="b and c"\r\n' +
      'X-Hint: \xe9t\xe9\r\n' +
      '\r\n',
  );
  // The connection stays in step: a second request on it gets its own answer.
  client.write(GET);
  const again = (await readUntil(client, (got) => got.toString('latin1').endsWith('\r\n\r\nok'))).toString(
    'latin1',
  );
  assert.match(again, /^HTTP\/1\.1 103 Early Hints\r\n[\s\S]*\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
});

test('node as a client sees the 103 as an information event with its Link', async (t) => {
  const { port } = await gatewayBefore(t, (socket) => socket.write(HINTS + FINAL));
  const informational: { statusCode: number; link: unknown }[] = [];
  const body = await new Promise<string>((resolve, reject) => {
    const req = httpRequest({ port, host: '127.0.0.1', headers: { host: 'app.example.com' } }, (res) => {
      let text = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve(text));
    });
    req.on('information', (info) =>
      informational.push({ statusCode: info.statusCode, link: info.headers.link }),
    );
    req.on('error', reject);
    req.end();
  });
  assert.equal(body, 'ok');
  assert.deepEqual(informational, [
    { statusCode: 103, link: '</a.css>; rel=preload; as=style, </b.js>; rel=preload; title="b and c"' },
  ]);
});

test('an HTTP/1.0 client gets no 1xx, only the final response', async (t) => {
  const { port } = await gatewayBefore(t, (socket) => socket.write(HINTS + FINAL));
  const { reply } = await rawExchange(port, 'GET / HTTP/1.0\r\nHost: app.example.com\r\n\r\n');
  assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
  assert.doesNotMatch(reply, /103/);
});

test('100 and 102 end at the gateway; at most four 103 reach the client', async (t) => {
  const interim =
    'HTTP/1.1 100 Continue\r\n\r\n' +
    'HTTP/1.1 102 Processing\r\n\r\n' +
    'HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n'.repeat(6) +
    'HTTP/1.1 103 Early Hints\r\nConnection: close\r\n\r\n';
  const { port } = await gatewayBefore(t, (socket) => socket.write(interim + FINAL));
  const client = await rawSocket(t, port);
  client.write(GET);
  const reply = (await readUntil(client, (got) => got.toString('latin1').endsWith('\r\n\r\nok'))).toString(
    'latin1',
  );
  assert.equal(
    reply.slice(0, reply.indexOf('HTTP/1.1 200')),
    'HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n'.repeat(4),
  );
});

test('more than 32 interim responses before the final one are a protocol error (502)', async (t) => {
  const { port, logs } = await gatewayBefore(t, (socket) =>
    socket.write(`${'HTTP/1.1 102 Processing\r\n\r\n'.repeat(33)}${FINAL}`),
  );
  const { reply } = await rawExchange(port, 'GET / HTTP/1.0\r\nHost: app.example.com\r\n\r\n');
  assert.match(reply, /^HTTP\/1\.1 502 /);
  assert.ok(logs.some((l) => l.code === 'SG_ERR_UPSTREAM_PROTOCOL'));
});

test('issue 17: a stream of 102 Processing does not hold the response past the upstream timeout (504)', async (t) => {
  const upstreamTimeoutMs = 400;
  const { port, logs } = await gatewayBefore(
    t,
    (socket) => {
      // Fewer than the interim cap within the deadline: only the deadline can end this.
      const timer = setInterval(() => socket.write('HTTP/1.1 102 Processing\r\n\r\n'), 50);
      socket.on('close', () => clearInterval(timer));
      t.after(() => clearInterval(timer));
    },
    upstreamTimeoutMs,
  );
  const started = performance.now();
  // The gateway closes an HTTP/1.0 client's connection after the answer; the bound is generous.
  const { reply, closed } = await rawExchange(
    port,
    'GET /slow HTTP/1.0\r\nHost: app.example.com\r\n\r\n',
    8_000,
  );
  const elapsed = performance.now() - started;
  assert.ok(closed, 'the gateway answered');
  assert.match(reply, /^HTTP\/1\.1 504 /);
  assert.match(reply, /SG_ERR_UPSTREAM_TIMEOUT/);
  assert.ok(elapsed < upstreamTimeoutMs + 3_000, `answered after ${Math.round(elapsed)} ms`);
  assert.ok(logs.some((l) => l.code === 'SG_ERR_UPSTREAM_TIMEOUT'));
});

test('an upstream that sends 102 and then goes quiet gets 504 at the deadline, not an inactivity later', async (t) => {
  const upstreamTimeoutMs = 1_500;
  const { port } = await gatewayBefore(
    t,
    (socket) => {
      // One interim response just before the deadline, then nothing.
      const timer = setTimeout(() => socket.write('HTTP/1.1 102 Processing\r\n\r\n'), 1_400);
      t.after(() => clearTimeout(timer));
    },
    upstreamTimeoutMs,
  );
  const started = performance.now();
  const { reply } = await rawExchange(port, 'GET /slow HTTP/1.0\r\nHost: app.example.com\r\n\r\n', 8_000);
  const elapsed = performance.now() - started;
  assert.match(reply, /^HTTP\/1\.1 504 /);
  // An inactivity timeout restarted by the 102 would answer at about 1,400 + 1,500 ms.
  assert.ok(elapsed < 2_300, `answered after ${Math.round(elapsed)} ms`);
});
