import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { type RequestEndEvent, requestEndChannel } from '../../../../src/dataplane/http/diagnostics.js';
import { UpstreamRegistry } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import { closedPort, startServer, waitFor } from '../upstreams/servers.js';
import { backend, registryOptions, route, table, upstream } from '../upstreams/table-fixtures.js';
import { channelMessages, rawExchange, rawSocket, readUntil, send, startGateway } from './harness.js';

/** A backend that answers with its name, the method, the path it got and its request headers. */
function echoBackend(t: Parameters<typeof startServer>[0], name: string) {
  return startServer(t, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers }));
  });
}

/** Echo backends `shop` (at example.com/shop, prefix stripped) and `web` (at `webHosts`) behind a gateway. */
async function shopAndWebGateway(t: TestContext, webHosts: string[]) {
  const shop = await echoBackend(t, 'shop');
  const web = await echoBackend(t, 'web');
  return startGateway(
    t,
    table(
      [
        route('shop/default', 'shop', {
          hosts: ['example.com'],
          path: '/shop',
          stripPath: true,
          priority: 2,
        }),
        route('web/default', 'web', { hosts: webHosts, priority: 1 }),
      ],
      [
        backend('shop', [upstream('task:shop1:80', { port: shop.port })]),
        backend('web', [upstream('task:web1:80', { port: web.port })]),
      ],
    ),
  );
}

test('routes by host and path, strips the prefix when asked', async (t) => {
  const { port } = await shopAndWebGateway(t, ['example.com', '*.example.org']);
  const cart = JSON.parse((await send(port, { host: 'example.com', path: '/shop/cart?id=7' })).body);
  assert.equal(cart.name, 'shop');
  assert.equal(cart.url, '/cart?id=7');
  const shopping = JSON.parse((await send(port, { host: 'EXAMPLE.com:8080', path: '/shopping' })).body);
  assert.equal(shopping.name, 'web');
  assert.equal(shopping.url, '/shopping');
  assert.equal(shopping.headers.host, 'EXAMPLE.com:8080', 'the client Host header reaches the upstream');
  assert.equal(JSON.parse((await send(port, { host: 'a.example.org', path: '/x' })).body).name, 'web');
});

test('a path is routed and forwarded with its dot segments resolved; an ambiguous one is refused', async (t) => {
  const { port, logs } = await shopAndWebGateway(t, ['example.com']);
  const reached = async (path: string) => {
    const response = await send(port, { host: 'example.com', path });
    assert.equal(response.status, 200, path);
    return JSON.parse(response.body) as { name: string; url: string };
  };
  // Routed raw, these would reach the shop service, which resolves them to its own /admin.
  const admin = await reached('/shop/../admin');
  assert.deepEqual([admin.name, admin.url], ['web', '/admin']);
  assert.equal((await reached('/shop/%2e%2e/admin?x=1')).name, 'web');
  const cart = await reached('/x/../shop/./%63art?id=/../7');
  assert.deepEqual(
    [cart.name, cart.url],
    ['shop', '/cart?id=/../7'],
    'strip-path applies to the resolved path',
  );
  const queue = await reached('/shop/queues/%2f/orders');
  assert.deepEqual([queue.name, queue.url], ['shop', '/queues/%2F/orders'], 'an encoded slash passes');
  for (const path of [
    '/shop/..%2Fadmin',
    '/shop/%zz',
    '/shop/a%00',
    '/shop/..;/admin',
    '/shop/..%3B/admin',
  ]) {
    const { reply, closed } = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: example.com\r\n\r\n`);
    assert.match(reply, /^HTTP\/1\.1 400 .*SG_ERR_BAD_REQUEST/s, path);
    assert.ok(closed, `the connection is closed after a 400 for ${path}`);
  }
  assert.ok(logs.some((l) => l.code === 'SG_ERR_BAD_REQUEST' && /encoded slash/.test(JSON.stringify(l))));
  assert.ok(logs.some((l) => l.code === 'SG_ERR_BAD_REQUEST' && /with parameters/.test(l.msg)));
});

test('an absolute-form target is routed on its authority, which the upstream sees as Host', async (t) => {
  const web = await echoBackend(t, 'web');
  const { port } = await startGateway(
    t,
    table(
      [route('web/default', 'web', { hosts: ['example.com'] })],
      [backend('web', [upstream('task:web1:80', { port: web.port })])],
    ),
  );
  const answer = async (head: string) => {
    const { reply } = await rawExchange(port, `${head}Connection: close\r\n\r\n`);
    assert.match(reply, /^HTTP\/1\.1 200 /, reply);
    return JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as {
      url: string;
      headers: Record<string, string>;
    };
  };
  // RFC 9112 §3.2.2: the target's authority wins over the Host header, or stands in for a missing one.
  const other = await answer('GET http://Example.com:8080/a?b=1 HTTP/1.1\r\nHost: elsewhere.example\r\n');
  assert.equal(other.url, '/a?b=1', 'the upstream gets the origin form');
  assert.equal(other.headers.host, 'example.com:8080');
  assert.equal(other.headers['x-forwarded-host'], 'example.com:8080');
  assert.match(other.headers.forwarded ?? '', /host="example\.com:8080"/);
  const missing = await answer('GET http://example.com/c HTTP/1.1\r\n');
  assert.equal(missing.headers.host, 'example.com');
});

test('no route answers 404 SG_ERR_NO_ROUTE with a short plain body, and logs the code', async (t) => {
  const web = await echoBackend(t, 'web');
  const { port, logs } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
  );
  const res = await send(port, { host: 'unknown.example.net', path: '/' });
  assert.equal(res.status, 404);
  assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(res.body, '404 Not Found (SG_ERR_NO_ROUTE)\n');
  assert.ok(logs.some((l) => l.code === 'SG_ERR_NO_ROUTE'));
});

test('a refused upstream answers 502 SG_ERR_UPSTREAM_CONNECT without revealing its address', async (t) => {
  const dead = await closedPort();
  const { port, logs } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: dead })])]),
  );
  const res = await send(port);
  assert.equal(res.status, 502);
  assert.equal(res.body, '502 Bad Gateway (SG_ERR_UPSTREAM_CONNECT)\n');
  assert.ok(!res.body.includes(String(dead)) && !res.body.includes('127.0.0.1'));
  assert.ok(logs.some((l) => l.code === 'SG_ERR_UPSTREAM_CONNECT' && l.upstreamId === 'task:web1:80'));
});

test('no available upstream answers 503 SG_ERR_NO_UPSTREAM with Retry-After', async (t) => {
  const { port } = await startGateway(t, table([route('web/default', 'web')], [backend('web', [])]));
  const res = await send(port);
  assert.equal(res.status, 503);
  assert.equal(res.headers['retry-after'], '5');
  assert.equal(res.body, '503 Service Unavailable (SG_ERR_NO_UPSTREAM)\n');
});

/** Whether `received` holds a whole response head and its Content-Length body. */
function wholeResponse(received: Buffer): boolean {
  const text = received.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const length = /^content-length: *(\d+)/im.exec(text);
  return end >= 0 && length !== null && text.length >= end + 4 + Number(length[1]);
}

test('a 404 or 503 keeps the keep-alive connection; the next request on it is served', async (t) => {
  const web = await echoBackend(t, 'web');
  const { port } = await startGateway(
    t,
    table(
      [
        route('web/default', 'web', { hosts: ['app.example.com'] }),
        route('gone/default', 'gone', { hosts: ['gone.example.com'] }),
      ],
      [backend('web', [upstream('task:web1:80', { port: web.port })]), backend('gone', [])],
    ),
  );
  const socket = await rawSocket(t, port);
  const exchange = async (host: string): Promise<string> => {
    socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    const reply = (await readUntil(socket, wholeResponse)).toString('latin1');
    assert.doesNotMatch(reply, /^connection: close/im, `${host} keeps the connection`);
    return reply.split('\r\n')[0]!;
  };
  assert.equal(await exchange('unknown.example.net'), 'HTTP/1.1 404 Not Found');
  assert.equal(await exchange('gone.example.com'), 'HTTP/1.1 503 Service Unavailable');
  assert.equal(await exchange('app.example.com'), 'HTTP/1.1 200 OK');
});

test('a request that finds every connection to its upstream busy past the connect timeout answers 503', async (t) => {
  let release: (() => void) | undefined;
  const web = await startServer(t, (req, res) => {
    if (req.url === '/held') release = () => res.end('held');
    else res.end('next');
  });
  const { port, logs } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
    { registry: new UpstreamRegistry(registryOptions({ connectionsPerUpstream: 1, connectTimeoutMs: 150 })) },
  );
  const held = send(port, { path: '/held' });
  await waitFor(() => release !== undefined, 'the first request to arrive');
  const queued = await send(port, { path: '/queued' });
  assert.equal(queued.status, 503);
  assert.equal(queued.headers['retry-after'], '5');
  assert.equal(queued.body, '503 Service Unavailable (SG_ERR_NO_UPSTREAM)\n');
  assert.ok(logs.some((l) => l.code === 'SG_ERR_NO_UPSTREAM' && l.cause === 'SG_UPSTREAM_QUEUE_TIMEOUT'));
  release!();
  assert.equal((await held).status, 200);
  assert.equal((await send(port, { path: '/after' })).body, 'next', 'a busy upstream is not marked down');
});

test('before the first table every request answers 503', async (t) => {
  const { port } = await startGateway(t, undefined);
  assert.equal((await send(port)).status, 503);
});

test('an upstream that does not answer in time gives 504 SG_ERR_UPSTREAM_TIMEOUT', async (t) => {
  const silent = await startServer(t, () => {});
  const registry = new UpstreamRegistry(registryOptions({ upstreamTimeoutMs: 200 }));
  const { port, logs } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: silent.port })])]),
    { registry },
  );
  const res = await send(port);
  assert.equal(res.status, 504);
  assert.equal(res.body, '504 Gateway Timeout (SG_ERR_UPSTREAM_TIMEOUT)\n');
  assert.ok(logs.some((l) => l.code === 'SG_ERR_UPSTREAM_TIMEOUT'));
});

test('forwarding headers from an untrusted peer are replaced', async (t) => {
  const web = await echoBackend(t, 'web');
  const { port } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
    { trustedProxies: ['10.0.0.0/8'] },
  );
  const res = await send(port, {
    host: 'app.example.com',
    headers: {
      'x-forwarded-for': '6.6.6.6',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-port': '1',
      'x-real-ip': '6.6.6.6',
      forwarded: 'for=6.6.6.6',
    },
  });
  const { headers } = JSON.parse(res.body);
  assert.equal(headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(headers['x-forwarded-proto'], 'http');
  assert.equal(headers['x-forwarded-host'], 'app.example.com');
  assert.equal(headers['x-forwarded-port'], '80', "the client's port: http's default, as Host names none");
  assert.equal(headers['x-real-ip'], '127.0.0.1');
  assert.equal(headers.forwarded, 'for=127.0.0.1;host=app.example.com;proto=http');
  const portOf = async (host: string) =>
    JSON.parse((await send(port, { host, headers: { 'x-forwarded-port': '1' } })).body).headers[
      'x-forwarded-port'
    ];
  assert.equal(await portOf('app.example.com:8080'), '8080', 'the port in Host, not the listening port');
  assert.notEqual(String(port), '8080');
});

test('forwarding headers from a trusted peer are kept and extended', async (t) => {
  const web = await echoBackend(t, 'web');
  const { port } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
    { trustedProxies: ['127.0.0.0/8', '::1'] },
  );
  const res = await send(port, {
    host: 'app.example.com:8443',
    headers: {
      'x-forwarded-for': '203.0.113.9, 127.0.0.5',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example.com',
      'x-forwarded-port': '443',
      forwarded: 'for=203.0.113.9;proto=https',
    },
  });
  const { headers } = JSON.parse(res.body);
  assert.equal(headers['x-forwarded-for'], '203.0.113.9, 127.0.0.5, 127.0.0.1');
  assert.equal(headers['x-forwarded-proto'], 'https');
  assert.equal(headers['x-forwarded-host'], 'app.example.com');
  assert.equal(headers['x-forwarded-port'], '443');
  assert.equal(headers['x-real-ip'], '203.0.113.9', 'the right-most untrusted address is the client');
  assert.equal(
    headers.forwarded,
    'for=203.0.113.9;proto=https, for=127.0.0.1;host="app.example.com:8443";proto=http',
  );
});

test('the request-end event names the client: from a trusted proxy, its client; else the peer', async (t) => {
  const web = await echoBackend(t, 'web');
  const { port } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
    { trustedProxies: ['127.0.0.0/8'] },
  );
  const ends = channelMessages<RequestEndEvent>(t, requestEndChannel.name as string);
  await send(port, { host: 'app.example.com', headers: { 'x-forwarded-for': '203.0.113.9' } });
  await send(port, { host: 'app.example.com' });
  await send(port, { host: 'unknown.example.net', headers: { 'x-forwarded-for': '203.0.113.9' } });
  await waitFor(() => ends.length === 3, 'three request-end events');
  assert.deepEqual(
    ends.map((e) => [e.status, e.client, e.peer]),
    [
      [200, '203.0.113.9', '127.0.0.1'],
      [200, '127.0.0.1', '127.0.0.1'],
      [404, '127.0.0.1', '127.0.0.1'],
    ],
  );
});

test('a body whose Content-Length the client lists in Connection reaches the upstream whole, never the next request', async (t) => {
  const seen: string[] = [];
  const origin = await startServer(t, async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push(`${req.method} ${req.url} host=${req.headers.host} body=${JSON.stringify(body)}`);
    res.end('ok');
  });
  const { port } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: origin.port })])]),
  );
  const smuggled = 'GET /smuggled HTTP/1.1\r\nX-Ignore: ';
  const attack = await rawExchange(
    port,
    'POST /innocent HTTP/1.1\r\nHost: app.example.com\r\nConnection: content-length, host, close\r\n' +
      `Content-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
  );
  assert.match(attack.reply, /^HTTP\/1\.1 200 OK/);
  assert.equal((await send(port, { path: '/victim' })).status, 200);
  assert.deepEqual(seen, [
    `POST /innocent host=app.example.com body=${JSON.stringify(smuggled)}`,
    'GET /victim host=app.example.com body=""',
  ]);
});

test('hop-by-hop headers are removed both ways; end-to-end headers pass', async (t) => {
  const web = await startServer(t, (req, res) => {
    res.writeHead(200, [
      'content-type',
      'application/json',
      'connection',
      'x-upstream-hop',
      'x-upstream-hop',
      'secret',
      'keep-alive',
      'timeout=5',
      'proxy-authenticate',
      'Basic',
      'x-end-to-end',
      'yes',
    ]);
    res.end(JSON.stringify(req.headers));
  });
  const { port } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
  );
  const res = await send(port, {
    headers: {
      connection: 'keep-alive, x-client-hop',
      'x-client-hop': 'secret',
      'keep-alive': 'timeout=5',
      'proxy-authorization': 'Basic Zm9vOmJhcg==',
      'proxy-connection': 'keep-alive',
      te: 'trailers',
      'x-kept': 'yes',
    },
  });
  const upstreamSaw = JSON.parse(res.body);
  for (const name of ['x-client-hop', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te']) {
    assert.equal(upstreamSaw[name], undefined, `${name} must not reach the upstream`);
  }
  assert.equal(upstreamSaw['x-kept'], 'yes');
  assert.equal(res.headers['x-upstream-hop'], undefined);
  assert.equal(res.headers['proxy-authenticate'], undefined);
  assert.equal(res.headers['x-end-to-end'], 'yes');
});

test('a sticky route adds its Set-Cookie next to the upstream cookies and honours it afterwards', async (t) => {
  const a = await startServer(t, (_req, res) => {
    res.setHeader('set-cookie', ['app=1; Path=/', 'theme=dark']);
    res.end('a');
  });
  const b = await startServer(t, (_req, res) => {
    res.setHeader('set-cookie', ['app=1; Path=/', 'theme=dark']);
    res.end('b');
  });
  const { port } = await startGateway(
    t,
    table(
      [route('web/default', 'web', { sticky: { cookie: 'sg_test' } })],
      [backend('web', [upstream('task:a:80', { port: a.port }), upstream('task:b:80', { port: b.port })])],
    ),
  );
  const first = await send(port);
  const cookies = first.headers['set-cookie'] ?? [];
  assert.equal(cookies.length, 3);
  assert.deepEqual(cookies.slice(0, 2), ['app=1; Path=/', 'theme=dark']);
  const sticky = cookies[2]!;
  assert.match(sticky, /^sg_test=[\w-]+; Path=\/; HttpOnly; SameSite=Lax$/);
  const pair = sticky.split(';')[0]!;
  for (let i = 0; i < 6; i++) {
    const again = await send(port, { headers: { cookie: `other=1; ${pair}` } });
    assert.equal(again.body, first.body, 'the cookie pins the upstream');
    assert.equal(again.headers['set-cookie']?.length, 2, 'no new sticky cookie while the pin holds');
  }
});

test('redirect-https answers 308 to the https URL', async (t) => {
  const { port } = await startGateway(
    t,
    table([route('web/default', 'web', { redirectHttps: true })], [backend('web', [])]),
  );
  const res = await send(port, { host: 'app.example.com:8080', path: '/a?b=1' });
  assert.equal(res.status, 308);
  assert.equal(res.headers.location, 'https://app.example.com/a?b=1');
});

/** GETs `/` from `host`:`port` (any address family) for app.example.com; resolves with the body. */
function bodyOver(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, agent: false, headers: { host: 'app.example.com' } }, (r) => {
      let body = '';
      r.on('data', (c) => {
        body += c;
      });
      r.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

test('listens on several entrypoints, IPv4 and IPv6', async (t) => {
  const web = await echoBackend(t, 'web');
  const { gateway } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
    { http: ['127.0.0.1:0', '[::1]:0'] },
  );
  const [v4, v6] = gateway.addresses();
  assert.match(v4!, /^127\.0\.0\.1:\d+$/);
  assert.match(v6!, /^\[::1\]:\d+$/);
  const v6Port = Number(v6!.split(':').pop());
  const { headers } = JSON.parse(await bodyOver('::1', v6Port));
  assert.equal(headers['x-forwarded-for'], '::1');
  assert.equal(headers.forwarded, 'for="[::1]";host=app.example.com;proto=http');
});

test("'0.0.0.0:P' and '[::]:P' listen side by side: the IPv6 wildcard takes only IPv6", async (t) => {
  const web = await echoBackend(t, 'web');
  const shared = await closedPort();
  await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
    { http: [`0.0.0.0:${shared}`, `[::]:${shared}`] },
  );
  for (const host of ['127.0.0.1', '::1']) {
    assert.equal(JSON.parse(await bodyOver(host, shared)).name, 'web', `reached over ${host}`);
  }
});

/** A gateway whose one upstream is a raw TCP server: `answer` gets each request's bytes. */
async function gatewayOverRawUpstream(t: TestContext, answer: (socket: Socket, request: string) => void) {
  const raw = createNetServer((socket) => {
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => answer(socket, chunk.toString('latin1')));
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => raw.close(() => resolve())));
  const port = (raw.address() as AddressInfo).port;
  return startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port })])]),
  );
}

test('an upstream that answers garbage gives 502 SG_ERR_UPSTREAM_PROTOCOL', async (t) => {
  const { port, logs } = await gatewayOverRawUpstream(t, (socket) => socket.end('NOT HTTP AT ALL\r\n\r\n'));
  const res = await send(port);
  assert.equal(res.status, 502);
  assert.equal(res.body, '502 Bad Gateway (SG_ERR_UPSTREAM_PROTOCOL)\n');
  assert.ok(logs.some((l) => l.code === 'SG_ERR_UPSTREAM_PROTOCOL'));
});

test('a chunked response loses its Content-Length; one in another transfer coding gets 502', async (t) => {
  const answers: Record<string, string> = {
    '/both':
      'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    '/gzip': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    '/gzip-only': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc',
    '/plain': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain',
  };
  const { port, logs } = await gatewayOverRawUpstream(t, (socket, request) => {
    const path = request.split(' ')[1] ?? '';
    if (path === '/gzip-only') socket.end(answers[path]!);
    else socket.write(answers[path]!);
  });
  // Pipelined on one client connection: a Content-Length of 100 over a 3-byte body would make the
  // client read the next response as the rest of this one.
  const { reply } = await rawExchange(
    port,
    'GET /both HTTP/1.1\r\nHost: app.example.com\r\n\r\n' +
      'GET /plain HTTP/1.1\r\nHost: app.example.com\r\nConnection: close\r\n\r\n',
  );
  const [first, second] = reply.split(/(?=HTTP\/1\.1 )/);
  assert.doesNotMatch(first!, /content-length/i, 'the chunked response has no Content-Length');
  assert.match(first!, /transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n$/i);
  assert.match(second!, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nplain$/);
  for (const path of ['/gzip', '/gzip-only']) {
    const res = await send(port, { path });
    assert.equal(res.status, 502, path);
    assert.equal(res.body, '502 Bad Gateway (SG_ERR_UPSTREAM_PROTOCOL)\n');
  }
  assert.equal(logs.filter((l) => l.code === 'SG_ERR_UPSTREAM_PROTOCOL').length, 2);
});

test('an upstream body that breaks before any of it went out gives 502; after, the client connection is cut and the 200 sent recorded', async (t) => {
  const ends = channelMessages<RequestEndEvent>(t, requestEndChannel.name as string);
  const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
  const { port, logs } = await gatewayOverRawUpstream(t, (socket, request) => {
    const path = request.split(' ')[1] ?? '';
    if (path === '/broken-at-once') socket.write(`${head}zz\r\n`);
    else if (path === '/bad-header')
      socket.write('HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Length: 2\r\n\r\nok');
    else if (path === '/plain') socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain');
    else {
      socket.write(`${head}3\r\nabc\r\n`);
      setTimeout(() => socket.write('zz\r\n'), 50);
    }
  });
  // The head came in the same read as the broken chunk: nothing reached the client yet, so it gets a
  // 502 and keeps its connection for the next request.
  const { reply } = await rawExchange(
    port,
    'GET /broken-at-once HTTP/1.1\r\nHost: app.example.com\r\n\r\n' +
      'GET /bad-header HTTP/1.1\r\nHost: app.example.com\r\n\r\n' +
      'GET /plain HTTP/1.1\r\nHost: app.example.com\r\nConnection: close\r\n\r\n',
  );
  const [first, second, third] = reply.split(/(?=HTTP\/1\.1 )/);
  assert.match(first!, /^HTTP\/1\.1 502 [\s\S]*\r\n\r\n502 Bad Gateway \(SG_ERR_UPSTREAM_PROTOCOL\)\n$/);
  assert.match(second!, /^HTTP\/1\.1 502 [\s\S]*SG_ERR_UPSTREAM_PROTOCOL/);
  assert.match(third!, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nplain$/);
  // The head and a first piece went out before the body broke: the client sees a cut response.
  const later = await rawExchange(port, 'GET /broken-later HTTP/1.1\r\nHost: app.example.com\r\n\r\n');
  assert.ok(later.closed, 'the client connection is closed');
  assert.match(later.reply, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n3\r\nabc\r\n$/);
  assert.ok(logs.some((l) => l.msg.startsWith('upstream failed while streaming the response')));
  // The request ended with the status the client got, and the upstream's error: not as a client gone.
  await waitFor(() => ends.length === 4, 'the request-end events');
  assert.deepEqual(
    ends.map((e) => [e.url, e.status, e.errorCode]),
    [
      ['/broken-at-once', 502, 'SG_ERR_UPSTREAM_PROTOCOL'],
      ['/bad-header', 502, 'SG_ERR_UPSTREAM_PROTOCOL'],
      ['/plain', 200, undefined],
      ['/broken-later', 200, 'SG_ERR_UPSTREAM_PROTOCOL'],
    ],
  );
});

test('HEAD, 204 and 304 responses pass without a body', async (t) => {
  const web = await startServer(t, (req, res) => {
    if (req.url === '/none') res.writeHead(204).end();
    else if (req.url === '/same') res.writeHead(304, { etag: '"x"' }).end();
    else
      res
        .writeHead(200, { 'content-length': 1234, 'content-type': 'text/plain' })
        .end(req.method === 'HEAD' ? undefined : 'x'.repeat(1234));
  });
  const { port } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
  );
  const head = await send(port, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], '1234');
  assert.equal(head.body, '');
  const none = await send(port, { path: '/none' });
  assert.equal(none.status, 204);
  assert.equal(none.body, '');
  const same = await send(port, { path: '/same' });
  assert.equal(same.status, 304);
  assert.equal(same.headers.etag, '"x"');
  assert.equal((await send(port)).body.length, 1234, 'the connection pool is still usable');
});
