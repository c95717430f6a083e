import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { type RequestEndEvent, requestEndChannel } from '../../../../src/dataplane/http/diagnostics.js';
import { startServer, waitFor } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { channelMessages, rawExchange, rawSocket, send, startGateway } from './harness.js';

/** How long the upstream takes to answer, so that what the client pipelines arrives meanwhile. */
const ANSWER_DELAY_MS = 150;

/**
 * A gateway in front of an upstream that answers `ok` late, or for `/stream` sends `part1` at once and
 * `part2` late; with the request-end events and the paths the upstream got.
 */
async function gatewayWithSlowBackend(t: Parameters<typeof startServer>[0]) {
  const paths: string[] = [];
  const web = await startServer(t, (req, res) => {
    paths.push(req.url ?? '');
    req.resume();
    if (req.url === '/stream') {
      res.write('part1');
      setTimeout(() => res.end('part2'), ANSWER_DELAY_MS);
    } else setTimeout(() => res.end('ok'), ANSWER_DELAY_MS);
  });
  const gw = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
  );
  const ends = channelMessages<RequestEndEvent>(t, requestEndChannel.name as string);
  return { ...gw, ends, paths };
}

/** A raw connection and everything the gateway writes on it. */
async function collecting(t: Parameters<typeof rawSocket>[0], port: number) {
  const socket: Socket = await rawSocket(t, port);
  let reply = '';
  socket.on('data', (chunk: Buffer) => {
    reply += chunk.toString('latin1');
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, reply: () => reply, closed };
}

const rejections = (logs: { msg: string }[]) => logs.filter((l) => l.msg === 'rejected a client request');

test('a malformed request pipelined behind a POST is answered after it: the POST gets its response, then 400, then the close', async (t) => {
  const { port, logs, ends, paths } = await gatewayWithSlowBackend(t);
  const client = await collecting(t, port);
  client.socket.write(
    'POST /order HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 5\r\n\r\nhelloGARBAGE\r\n\r\n',
  );
  await waitFor(() => paths.length === 1, 'the POST at the upstream');
  // Node reports the parse error again for what follows: still one answer.
  client.socket.write('MORE GARBAGE\r\n\r\n');
  await client.closed;
  assert.match(client.reply(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nokHTTP\/1\.1 400 Bad Request\r\n/);
  assert.equal(client.reply().match(/HTTP\/1\.1 /g)?.length, 2, 'two responses');
  assert.ok(client.reply().endsWith('(SG_ERR_BAD_REQUEST)\n'));
  await waitFor(() => ends.length === 2, 'the request-end events');
  assert.deepEqual(
    ends.map((e) => [e.method, e.url, e.status, e.errorCode]),
    [
      ['POST', '/order', 200, undefined],
      ['', '', 400, 'SG_ERR_BAD_REQUEST'],
    ],
  );
  assert.equal(rejections(logs).length, 1);
  assert.deepEqual(
    logs.filter((l) => l.msg.startsWith('refused request dropped')),
    [],
    'the repeated error is not answered again',
  );
});

test('a malformed request behind a response already on the wire lets it finish, then gets 400', async (t) => {
  const { port, ends } = await gatewayWithSlowBackend(t);
  const client = await collecting(t, port);
  client.socket.write('GET /stream HTTP/1.1\r\nHost: app.example.com\r\n\r\n');
  await waitFor(() => client.reply().includes('part1'), 'the head and the first body piece');
  client.socket.write('GARBAGE\r\n\r\n');
  await client.closed;
  assert.match(client.reply(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*part1[\s\S]*part2\r\n0\r\n\r\nHTTP\/1\.1 400 /);
  await waitFor(() => ends.length === 2, 'the request-end events');
  assert.deepEqual(
    ends.map((e) => [e.url, e.status, e.errorCode]),
    [
      ['/stream', 200, undefined],
      ['', 400, 'SG_ERR_BAD_REQUEST'],
    ],
  );
});

test('a pipelined request whose body breaks off gets 400 in its own place, after the response ahead', async (t) => {
  const { port, ends } = await gatewayWithSlowBackend(t);
  const { reply, closed } = await rawExchange(
    port,
    'POST /a HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 1\r\n\r\nx' +
      'POST /b HTTP/1.1\r\nHost: app.example.com\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  );
  assert.match(reply, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nokHTTP\/1\.1 400 Bad Request\r\n/);
  assert.ok(closed);
  await waitFor(() => ends.length === 2, 'the request-end events');
  assert.deepEqual(
    ends.map((e) => [e.url, e.status, e.errorCode]),
    [
      ['/a', 200, undefined],
      ['/b', 400, 'SG_ERR_BAD_REQUEST'],
    ],
  );
});

test('a CONNECT pipelined behind a GET gets its 501 after the GET response, then the connection closes', async (t) => {
  const { port, ends } = await gatewayWithSlowBackend(t);
  const { reply, closed } = await rawExchange(
    port,
    'GET /first HTTP/1.1\r\nHost: app.example.com\r\n\r\nCONNECT x.example:443 HTTP/1.1\r\nHost: x.example:443\r\n\r\n',
  );
  assert.match(reply, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nokHTTP\/1\.1 501 Not Implemented\r\n/);
  assert.ok(reply.endsWith('(SG_ERR_CONNECT_METHOD)\n'));
  assert.ok(closed);
  await waitFor(() => ends.length === 2, 'the request-end events');
  assert.deepEqual(
    ends.map((e) => [e.method, e.url, e.status, e.errorCode]),
    [
      ['GET', '/first', 200, undefined],
      ['CONNECT', 'x.example:443', 501, 'SG_ERR_CONNECT_METHOD'],
    ],
  );
});

test('a CONNECT pipelined behind a GET whose client resets first is dropped unanswered, and the gateway keeps serving', async (t) => {
  const { port, logs, ends, paths } = await gatewayWithSlowBackend(t);
  const client = await collecting(t, port);
  client.socket.write(
    'GET /first HTTP/1.1\r\nHost: app.example.com\r\n\r\nCONNECT x.example:443 HTTP/1.1\r\nHost: x.example:443\r\n\r\n',
  );
  await waitFor(() => paths.length === 1, 'the GET at the upstream');
  client.socket.resetAndDestroy();
  await waitFor(() => ends.some((e) => e.url === '/first'), 'the GET request-end event');
  assert.equal(ends[0]!.errorCode, 'SG_ERR_CLIENT_ABORTED');
  assert.equal((await send(port, { path: '/after' })).status, 200, 'still serving');
  assert.deepEqual(
    ends.map((e) => e.method),
    ['GET', 'GET'],
    'no event for the CONNECT',
  );
  assert.deepEqual(rejections(logs), []);
});
