import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, waitFor } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { rawExchange, rawSocket, readUntil, send, startGateway } from './harness.js';
import { startRawOrigin } from './raw-origin.js';
import { readTextFrame, startWebSocketEcho, textFrame } from './websocket-backend.js';

// Issue 17, defect 1: bytes a client sends after an upgrade request must not reach the upstream before
// it has answered 101; on a refusal they never do.

const HOST = '127.0.0.1';
const SWITCH = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n';

function upgradeRequest(path: string, extra = '', host = HOST): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
  );
}

/** A request smuggled after the upgrade, for a path and a client address the gateway never vetted. */
const SMUGGLED =
  'POST /internal/admin HTTP/1.1\r\nHost: internal.example\r\nX-Forwarded-For: 10.0.0.1\r\n' +
  'Content-Length: 0\r\n\r\n';

function gatewayFor(port: number, hosts = [HOST]) {
  return table([route('ws/default', 'ws', { hosts })], [backend('ws', [upstream('task:ws:80', { port })])]);
}

test('issue 17: bytes after an upgrade the upstream refuses never reach it, and the client gets only the refusal', async (t) => {
  // Like nginx, Go or Python: refuse the upgrade, keep the connection and run whatever request follows.
  const origin = await startRawOrigin(t, (connection) => {
    for (let head = connection.nextHead(); head !== undefined; head = connection.nextHead()) {
      connection.socket.write(
        /^upgrade:/im.test(head)
          ? 'HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\nnope'
          : 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\ninternal',
      );
    }
  });
  const { port } = await startGateway(t, gatewayFor(origin.port));
  const { reply, closed } = await rawExchange(port, upgradeRequest('/ws') + SMUGGLED);
  assert.ok(closed, 'the client connection is closed after the refusal');
  assert.match(reply, /^HTTP\/1\.1 401 Unauthorized\r\n/);
  assert.ok(reply.endsWith('\r\n\r\nnope'), JSON.stringify(reply));
  assert.doesNotMatch(reply, /internal/);
  await waitFor(() => origin.connections.every((c) => c.closed), 'the upstream connection closed');
  assert.equal(origin.connections.length, 1);
  const seen = origin.connections[0]!.text();
  assert.doesNotMatch(seen, /internal/, `the origin saw: ${JSON.stringify(seen)}`);
  assert.ok(seen.startsWith('GET /ws HTTP/1.1\r\n') && seen.indexOf('\r\n\r\n') === seen.length - 4);
});

test('issue 17: bytes sent before the 101 reach the origin after it, intact and in order', async (t) => {
  const seenAtSwitch: string[] = [];
  const origin = await startRawOrigin(t, (connection) => {
    if (connection.nextHead() === undefined) return;
    // Switch a little later, so the client's second early write is at the gateway by then.
    setTimeout(() => {
      seenAtSwitch.push(connection.text());
      connection.socket.write(SWITCH);
    }, 100);
  });
  const { port } = await startGateway(t, gatewayFor(origin.port));
  const client = await rawSocket(t, port);
  client.write(`${upgradeRequest('/ws')}early-1|`);
  await sleep(20);
  client.write('early-2|');
  const head = await readUntil(client, (r) => r.includes('\r\n\r\n'));
  assert.match(head.toString('latin1'), /^HTTP\/1\.1 101 /);
  client.write('late-3');
  const connection = origin.connections[0]!;
  await waitFor(() => connection.text().endsWith('late-3'), 'every byte at the origin');
  const seen = connection.text();
  const requestHead = seen.slice(0, seen.indexOf('\r\n\r\n') + 4);
  assert.equal(seenAtSwitch[0], requestHead, 'the origin had only the request head when it switched');
  assert.equal(seen.slice(requestHead.length), 'early-1|early-2|late-3');
});

test('an upgrade with a Content-Length body sends the body with the request; what follows waits for the 101', async (t) => {
  const seenAtSwitch: string[] = [];
  const origin = await startRawOrigin(t, (connection) => {
    if (seenAtSwitch.length > 0 || !connection.text().includes('\r\n\r\nhello')) return;
    seenAtSwitch.push(connection.text());
    setTimeout(() => connection.socket.write(SWITCH), 50);
  });
  const { port } = await startGateway(t, gatewayFor(origin.port));
  const client = await rawSocket(t, port);
  client.write(`${upgradeRequest('/ws', 'Content-Length: 5\r\n')}hel`);
  await sleep(20);
  client.write('loafter');
  await readUntil(client, (r) => r.includes('\r\n\r\n'));
  const connection = origin.connections[0]!;
  await waitFor(() => connection.text().endsWith('after'), 'the held bytes at the origin');
  assert.ok(seenAtSwitch[0]!.endsWith('\r\n\r\nhello'), JSON.stringify(seenAtSwitch[0]));
  assert.match(seenAtSwitch[0]!, /\r\ncontent-length: 5\r\n/i);
  assert.ok(connection.text().endsWith('\r\n\r\nhelloafter'));
});

test('an upgrade with a chunked body is refused with 400 and never reaches an upstream', async (t) => {
  const origin = await startRawOrigin(t, () => {});
  const { port } = await startGateway(t, gatewayFor(origin.port));
  const { reply, closed } = await rawExchange(
    port,
    `${upgradeRequest('/ws', 'Transfer-Encoding: chunked\r\n')}${(SMUGGLED.length).toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`,
  );
  assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.ok(reply.endsWith('(SG_ERR_BAD_REQUEST)\n'), JSON.stringify(reply));
  assert.ok(closed);
  assert.equal(origin.connections.length, 0);
});

test('issue 17: an upgrade with early bytes whose upstream resets before answering is retried on another', async (t) => {
  const resetting = await startRawOrigin(t, (connection) => {
    if (connection.nextHead() !== undefined) connection.socket.resetAndDestroy();
  });
  const live = await startWebSocketEcho(t, 'live');
  const { port, logs } = await startGateway(
    t,
    table(
      [route('chat/default', 'chat', { hosts: [HOST], balance: 'round-robin' })],
      [
        backend('chat', [
          upstream('task:reset:80', { port: resetting.port }),
          upstream('task:live:80', { port: live.port }),
        ]),
      ],
    ),
  );
  const client = await rawSocket(t, port);
  // The frame is sent before any answer: the first upstream never got it, so the upgrade can go again.
  client.write(Buffer.concat([Buffer.from(upgradeRequest('/')), textFrame('early', true)]));
  const answer = await readUntil(client, (r) => {
    const at = r.indexOf('\r\n\r\n');
    return at >= 0 && readTextFrame(r.subarray(at + 4)) !== undefined;
  });
  const at = answer.indexOf('\r\n\r\n');
  assert.match(answer.toString('latin1', 0, at), /^HTTP\/1\.1 101 /);
  assert.equal(readTextFrame(answer.subarray(at + 4)), 'live:early');
  assert.equal(resetting.connections.length, 1);
  assert.ok(logs.some((l) => l.msg === 'retrying the upgrade on another upstream'));
});

test('a client flooding bytes before the 101 is not read beyond a bound, and other clients are served meanwhile', async (t) => {
  const FLOOD = 32 * 1024 * 1024;
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let asked = false;
  const origin = await startRawOrigin(t, (connection) => {
    // Only the first head is looked for: the flood is not searched for more.
    if (asked || connection.nextHead() === undefined) return;
    asked = true;
    void released.then(() => connection.socket.write(SWITCH));
  });
  const plain = await startServer(t, (_req, res) => res.end('ok'));
  const { port } = await startGateway(
    t,
    table(
      [
        route('ws/default', 'ws', { hosts: ['ws.test'] }),
        route('app/default', 'app', { hosts: ['app.test'] }),
      ],
      [
        backend('ws', [upstream('task:ws:80', { port: origin.port })]),
        backend('app', [upstream('task:app:80', { port: plain.port })]),
      ],
    ),
  );
  const flood = Buffer.alloc(FLOOD);
  for (let i = 0; i < FLOOD; i += 4) flood.writeUInt32BE(i, i);
  const client = await rawSocket(t, port);
  client.write(upgradeRequest('/ws', '', 'ws.test'));
  client.write(flood);
  // Kernel buffers on loopback take a few MiB; the rest stays with the client when the gateway stops reading.
  await sleep(300);
  let slowest = 0;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const res = await send(port, { host: 'app.test' });
    slowest = Math.max(slowest, performance.now() - started);
    assert.equal(res.body, 'ok');
  }
  assert.ok(slowest < 2_000, `another client waited ${slowest} ms`);
  assert.ok(
    client.writableLength > 16 * 1024 * 1024,
    `the gateway read ${FLOOD - client.writableLength} bytes of the flood before the 101`,
  );
  const connection = origin.connections[0]!;
  const head = connection.text();
  assert.equal(head.indexOf('\r\n\r\n'), head.length - 4, 'the origin got the request head and nothing else');
  release();
  await waitFor(() => connection.length >= head.length + FLOOD, 'the whole flood at the origin', 20_000);
  const after = connection.bytes().subarray(head.length);
  assert.ok(after.equals(flood), 'the flood arrived intact and in order');
  assert.equal(origin.connections.length, 1);
});
