import assert from 'node:assert/strict';
import { createServer, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { type RequestEndEvent, requestEndChannel } from '../../../../src/dataplane/http/diagnostics.js';
import { startServer, waitFor } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { channelMessages, deferred, rawExchange, rawSocket, send, startGateway } from './harness.js';

async function gatewayWithBackend(t: Parameters<typeof startServer>[0], limits = {}) {
  let requests = 0;
  const web = await startServer(t, (req, res) => {
    requests += 1;
    req.resume();
    res.end('ok');
  });
  const gw = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
    { limits },
  );
  return { ...gw, upstreamRequests: () => requests };
}

/** Sends `request` raw and checks the answer: `status` with the error body for `code`, then a close. */
async function expectRefusedAndClosed(port: number, request: string, status: number, code: string) {
  const { reply, closed } = await rawExchange(port, request);
  const line = `${status} ${STATUS_CODES[status]}`;
  assert.ok(reply.startsWith(`HTTP/1.1 ${line}\r\n`), reply);
  assert.ok(reply.endsWith(`${line} (${code})\n`), reply);
  assert.ok(closed, 'the connection is closed');
}

test('a malformed request gets 400 SG_ERR_BAD_REQUEST and the connection is closed', async (t) => {
  const { port, logs, upstreamRequests } = await gatewayWithBackend(t);
  await expectRefusedAndClosed(
    port,
    'GET / HTTP/1.1\r\nHost: app.example.com\r\nBad Header\r\n\r\n',
    400,
    'SG_ERR_BAD_REQUEST',
  );
  assert.equal(upstreamRequests(), 0);
  assert.ok(logs.some((l) => l.code === 'SG_ERR_BAD_REQUEST'));
});

test('an HTTP/1.1 request without Host gets 400 SG_ERR_BAD_REQUEST from the gateway; HTTP/1.0 matches no route', async (t) => {
  const { port, logs, upstreamRequests } = await gatewayWithBackend(t);
  const missing = await rawExchange(port, 'GET / HTTP/1.1\r\n\r\n');
  assert.match(missing.reply, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.ok(missing.reply.endsWith('(SG_ERR_BAD_REQUEST)\n'));
  assert.ok(missing.closed);
  assert.ok(
    logs.some((l) => l.code === 'SG_ERR_BAD_REQUEST' && l.msg === 'HTTP/1.1 request without a Host header'),
  );
  const old = await rawExchange(port, 'GET / HTTP/1.0\r\n\r\n');
  assert.match(old.reply, /^HTTP\/1\.1 404 /);
  assert.equal(upstreamRequests(), 0);
});

test('two Host headers, an invalid Host, or userinfo or an empty authority in the target get 400 and reach no upstream', async (t) => {
  const { port, logs, upstreamRequests } = await gatewayWithBackend(t);
  const refused = {
    'more than one Host header': [
      'GET / HTTP/1.1\r\nHost: app.example.com\r\nHost: evil.example\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: evil.example\r\nHost: app.example.com\r\n\r\n',
    ],
    'invalid Host header': [
      'GET / HTTP/1.1\r\nHost: app.example.com/admin\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: user@app.example.com\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: app.example.com:80:80\r\n\r\n',
    ],
    'invalid request target': [
      'GET http://user:pw@app.example.com/ HTTP/1.1\r\nHost: app.example.com\r\n\r\n',
      'GET http:///app.example.com/ HTTP/1.1\r\nHost: app.example.com\r\n\r\n',
      'GET http://@app.example.com/ HTTP/1.1\r\nHost: app.example.com\r\n\r\n',
    ],
  };
  for (const [message, requests] of Object.entries(refused)) {
    for (const request of requests) {
      const { reply, closed } = await rawExchange(port, request);
      assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/, request);
      assert.ok(reply.endsWith('(SG_ERR_BAD_REQUEST)\n'));
      assert.ok(closed, 'the connection is closed');
    }
    assert.equal(logs.filter((l) => l.msg === message).length, requests.length, message);
  }
  assert.equal(upstreamRequests(), 0);
  const ok = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n');
  assert.ok(ok.reply.endsWith('(SG_ERR_NO_ROUTE)\n'), 'an IPv6 literal with a port is a valid Host, routed');
});

test('a body in a transfer coding besides chunked gets 501 SG_ERR_TRANSFER_CODING; chunked alone is proxied', async (t) => {
  const { port, logs, upstreamRequests } = await gatewayWithBackend(t);
  for (const codings of ['gzip, chunked', 'gzip\r\nTransfer-Encoding: chunked']) {
    const { reply, closed } = await rawExchange(
      port,
      `POST / HTTP/1.1\r\nHost: app.example.com\r\nTransfer-Encoding: ${codings}\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
    );
    assert.match(reply, /^HTTP\/1\.1 501 Not Implemented\r\n/, codings);
    assert.ok(reply.endsWith('(SG_ERR_TRANSFER_CODING)\n'));
    assert.ok(closed, 'the connection is closed');
  }
  assert.equal(logs.filter((l) => l.code === 'SG_ERR_TRANSFER_CODING').length, 2);
  assert.equal(upstreamRequests(), 0);
  const chunked = await rawExchange(
    port,
    'POST / HTTP/1.1\r\nHost: app.example.com\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
  );
  assert.match(chunked.reply, /^HTTP\/1\.1 200 /);
  assert.equal(upstreamRequests(), 1);
});

test('CONNECT gets 501 SG_ERR_CONNECT_METHOD, is logged, opens no tunnel, and the connection closes', async (t) => {
  const { port, logs, upstreamRequests } = await gatewayWithBackend(t);
  const connect = 'CONNECT app.example.com:443 HTTP/1.1\r\nHost: app.example.com:443\r\n\r\n';
  await expectRefusedAndClosed(port, connect, 501, 'SG_ERR_CONNECT_METHOD');
  assert.equal(upstreamRequests(), 0);
  assert.ok(logs.some((l) => l.code === 'SG_ERR_CONNECT_METHOD' && l.target === 'app.example.com:443'));
});

test('a client that ends its connection mid-body is gone, not a bad request: no 400, the upstream request aborted', async (t) => {
  const upstreamAborted = deferred<boolean>();
  const web = await startServer(t, (req) => {
    req.resume();
    req.on('close', () => upstreamAborted.resolve(!req.complete));
  });
  const { port, logs } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
    // A streamed body: a buffered one never reaches the upstream (proxy-request-buffer.test.ts).
    { limits: { requestBufferBytes: 0 } },
  );
  const ends = channelMessages<RequestEndEvent>(t, requestEndChannel.name as string);
  const socket = await rawSocket(t, port);
  socket.end('POST / HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 100\r\n\r\n0123456789');
  assert.equal(await upstreamAborted.promise, true, 'the upstream request is cut short');
  await waitFor(() => ends.length === 1, 'the request-end event');
  assert.equal(ends[0]!.errorCode, 'SG_ERR_CLIENT_ABORTED');
  assert.deepEqual(
    logs.filter((l) => l.msg === 'rejected a client request'),
    [],
    'not logged as a client error',
  );
});

test('bytes after a request that closes its connection are ignored: that request is answered, then the connection closes', async (t) => {
  const { port, logs, upstreamRequests } = await gatewayWithBackend(t);
  const ends = channelMessages<RequestEndEvent>(t, requestEndChannel.name as string);
  const closing = [
    'POST /order HTTP/1.1\r\nHost: app.example.com\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello',
    'GET /x HTTP/1.0\r\nHost: app.example.com\r\n\r\n',
  ];
  for (const request of closing) {
    const { reply, closed } = await rawExchange(
      port,
      `${request}GET /next HTTP/1.1\r\nHost: app.example.com\r\n\r\n`,
    );
    assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/, request);
    assert.ok(reply.endsWith('\r\n\r\nok'), reply);
    assert.equal(reply.match(/HTTP\/1\.1/g)?.length, 1, 'exactly one response');
    assert.ok(closed, 'the connection is closed');
  }
  assert.equal(upstreamRequests(), 2, 'the requests after the close never reach the upstream');
  await waitFor(() => ends.length === 2, 'the request-end events');
  assert.deepEqual(
    ends.map((e) => [e.url, e.status, e.errorCode]),
    [
      ['/order', 200, undefined],
      ['/x', 200, undefined],
    ],
  );
  assert.deepEqual(
    logs.filter((l) => l.msg === 'rejected a client request'),
    [],
  );
});

test('oversized headers get 431 SG_ERR_HEADERS_TOO_LARGE', async (t) => {
  const { port } = await gatewayWithBackend(t);
  const big = 'x'.repeat(17 * 1024);
  const { reply, closed } = await rawExchange(
    port,
    `GET / HTTP/1.1\r\nHost: app.example.com\r\nX-Big: ${big}\r\n\r\n`,
  );
  assert.match(reply, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  assert.ok(reply.includes('(SG_ERR_HEADERS_TOO_LARGE)'));
  assert.ok(closed);
});

test('the header limit is configurable', async (t) => {
  const web = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) =>
    res.end(`${req.headers['x-big']?.length}`),
  );
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    web.closeAllConnections();
    web.close();
  });
  const { port } = await startGateway(
    t,
    table(
      [route('web/default', 'web')],
      [backend('web', [upstream('task:web1:80', { port: (web.address() as AddressInfo).port })])],
    ),
    { limits: { maxHeaderBytes: 64 * 1024 } },
  );
  const res = await send(port, { headers: { 'x-big': 'x'.repeat(32 * 1024) } });
  assert.equal(res.status, 200);
  assert.equal(res.body, String(32 * 1024));
});

test('Content-Length together with Transfer-Encoding (smuggling) gets 400, is not forwarded, and the connection closes', async (t) => {
  const { port, upstreamRequests } = await gatewayWithBackend(t);
  const { reply, closed } = await rawExchange(
    port,
    'POST / HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: app.example.com\r\n\r\n',
  );
  assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.equal(reply.match(/HTTP\/1\.1/g)?.length, 1, 'exactly one response');
  assert.ok(closed);
  assert.equal(upstreamRequests(), 0);
});

test('a body over the limit gets 413 SG_ERR_BODY_TOO_LARGE, by Content-Length or while streaming chunked', async (t) => {
  const { port, upstreamRequests } = await gatewayWithBackend(t, { maxBodyBytes: 1024 });
  const declared = await rawExchange(
    port,
    'POST / HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 2048\r\n\r\n',
  );
  assert.match(declared.reply, /^HTTP\/1\.1 413 Payload Too Large\r\n/);
  assert.ok(declared.reply.includes('(SG_ERR_BODY_TOO_LARGE)'));
  assert.ok(declared.closed);
  assert.equal(upstreamRequests(), 0);

  const chunk = 'y'.repeat(600);
  const streamed = await rawExchange(
    port,
    'POST / HTTP/1.1\r\nHost: app.example.com\r\nTransfer-Encoding: chunked\r\n\r\n' +
      `258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`,
  );
  assert.match(streamed.reply, /^HTTP\/1\.1 413 /);
  assert.ok(streamed.closed);

  assert.equal(
    (await send(port, { method: 'POST', body: 'z'.repeat(1000) })).status,
    200,
    'within the limit passes',
  );
});

test('a slowloris client is cut off by the head timeout while another client keeps being served', async (t) => {
  const { port, logs } = await gatewayWithBackend(t, { headersTimeoutMs: 400, requestTimeoutMs: 2_000 });
  const slow = await rawSocket(t, port);
  let slowReply = '';
  slow.on('data', (chunk: Buffer) => {
    slowReply += chunk.toString('latin1');
  });
  const slowClosed = new Promise<void>((resolve) => slow.on('close', () => resolve()));
  slow.write('GET / HTTP/1.1\r\nHost: app.example.com\r\n');
  let cutOff = false;
  void slowClosed.then(() => {
    cutOff = true;
  });
  let served = 0;
  let line = 0;
  while (!cutOff) {
    if (!slow.destroyed) slow.write(`X-Drip-${line++}: 1\r\n`);
    assert.equal((await send(port)).status, 200);
    served += 1;
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (line > 400) assert.fail('the slow client was never cut off');
  }
  assert.match(slowReply, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.ok(served > 0);
  assert.ok(logs.some((l) => l.code === 'SG_ERR_CLIENT_TIMEOUT' && l.status === 408));
});

test('requests refused before they reach a route end like any other: one request-end event each, with the status sent', async (t) => {
  const { port } = await gatewayWithBackend(t, { headersTimeoutMs: 200, requestTimeoutMs: 400 });
  const ends = channelMessages<RequestEndEvent>(t, requestEndChannel.name as string);
  const refused: [string, number, string][] = [
    [
      `GET / HTTP/1.1\r\nHost: app.example.com\r\nX-Big: ${'x'.repeat(17 * 1024)}\r\n\r\n`,
      431,
      'SG_ERR_HEADERS_TOO_LARGE',
    ],
    ['GARBAGE\r\n\r\n', 400, 'SG_ERR_BAD_REQUEST'],
    [
      'POST / HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
      400,
      'SG_ERR_BAD_REQUEST',
    ],
    ['GET / HTTP/1.1\r\nHost: app.exa', 408, 'SG_ERR_CLIENT_TIMEOUT'],
    [
      'CONNECT app.example.com:443 HTTP/1.1\r\nHost: app.example.com:443\r\n\r\n',
      501,
      'SG_ERR_CONNECT_METHOD',
    ],
  ];
  for (const [request, status, code] of refused) {
    const { reply } = await rawExchange(port, request);
    assert.match(reply, new RegExp(`^HTTP/1\\.1 ${status} `), request.slice(0, 40));
    await waitFor(() => ends.length === 1, `the request-end event of ${code}`);
    const [end] = ends.splice(0);
    assert.equal(end!.status, status, code);
    assert.equal(end!.errorCode, code);
    assert.equal(end!.routeId, undefined);
    assert.equal(end!.upstreamId, undefined);
    assert.equal(end!.peer, '127.0.0.1');
  }
});

test('a body cut by the request timeout ends its request as the 408 SG_ERR_CLIENT_TIMEOUT the client got', async (t) => {
  const web = await startServer(t, (req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
    req.on('error', () => {});
  });
  const { port } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
    { limits: { headersTimeoutMs: 200, requestTimeoutMs: 400 } },
  );
  const ends = channelMessages<RequestEndEvent>(t, requestEndChannel.name as string);
  const { reply, closed } = await rawExchange(
    port,
    'POST /upload HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 100\r\n\r\nabc',
  );
  assert.match(reply, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.ok(closed);
  await waitFor(() => ends.length === 1, 'the request-end event');
  assert.deepEqual(
    [ends[0]!.url, ends[0]!.routeId, ends[0]!.status, ends[0]!.errorCode],
    ['/upload', 'web/default', 408, 'SG_ERR_CLIENT_TIMEOUT'],
  );
});

test('a request answered before its body came, then cut by the request timeout, ends once, with the status of its answer', async (t) => {
  // A streamed body, which the upstream can answer before it is complete.
  const { port } = await gatewayWithBackend(t, {
    headersTimeoutMs: 200,
    requestTimeoutMs: 400,
    requestBufferBytes: 0,
  });
  const ends = channelMessages<RequestEndEvent>(t, requestEndChannel.name as string);
  const { reply } = await rawExchange(
    port,
    'POST /early HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 100\r\n\r\nabc',
  );
  assert.match(
    reply,
    /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nokHTTP\/1\.1 408 /,
    'the upstream answered early',
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(
    ends.map((e) => [e.url, e.status]),
    [['/early', 200]],
  );
});

test('a route-level body limit overrides the gateway-wide one', async (t) => {
  const web = await startServer(t, (req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  const routes = [
    route('web/default', 'web', { maxBodyBytes: 100 }),
    route('web/uploads', 'web', { path: '/uploads', priority: 10, maxBodyBytes: 4096 }),
  ];
  const { port } = await startGateway(
    t,
    table(routes, [backend('web', [upstream('task:w:80', { port: web.port })])]),
    {
      limits: { maxBodyBytes: 1024 },
    },
  );
  const post = (path: string, size: number) => send(port, { method: 'POST', path, body: 'b'.repeat(size) });
  assert.equal((await post('/', 200)).status, 413, 'the route allows 100 bytes, less than the gateway');
  assert.equal((await post('/uploads', 2000)).status, 200, 'the route allows 4 KiB, more than the gateway');
  assert.equal((await post('/uploads', 5000)).status, 413);
});
