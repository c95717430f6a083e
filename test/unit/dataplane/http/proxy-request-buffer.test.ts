import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { type RequestEndEvent, requestEndChannel } from '../../../../src/dataplane/http/diagnostics.js';
import type { HttpLimits } from '../../../../src/dataplane/http/http-limits.js';
import { UpstreamRegistry } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import { closedPort, startServer, waitFor } from '../upstreams/servers.js';
import { backend, registryOptions, route, table, upstream } from '../upstreams/table-fixtures.js';
import { channelMessages, rawExchange, rawSocket, readUntil, send, startGateway } from './harness.js';

/** What the origin saw of one request: its head on arrival, its body once complete. */
interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
  body: string | undefined;
}

const HEAD = 'Host: app.example.com\r\nConnection: close\r\n';

/** A gateway before an origin that records each request and answers `got <body>`. */
async function bufferingGateway(
  t: Parameters<typeof startServer>[0],
  limits: Partial<HttpLimits> = {},
  options: { trustedProxies?: string[] } = {},
) {
  const seen: Seen[] = [];
  const origin = await startServer(t, async (req, res) => {
    const entry: Seen = { url: req.url ?? '', headers: req.headers, body: undefined };
    seen.push(entry);
    req.on('error', () => {});
    let body = '';
    try {
      for await (const chunk of req) body += chunk;
    } catch {
      return;
    }
    entry.body = body;
    res.end(`got ${body}`);
  });
  const registry = new UpstreamRegistry(registryOptions({ connectionsPerUpstream: 4 }));
  const gateway = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:only:80', { port: origin.port })])]),
    { registry, limits: { requestBufferBytes: 1024, ...limits }, ...options },
  );
  return { ...gateway, seen };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `byte` on `socket` every `everyMs`, at most `times` times, until the socket closes. */
function trickle(t: { after: (fn: () => void) => void }, socket: Socket, everyMs: number, times = 50): void {
  let left = times;
  const timer = setInterval(() => {
    if (socket.destroyed || left-- <= 0) clearInterval(timer);
    else socket.write('x');
  }, everyMs);
  t.after(() => clearInterval(timer));
}

/** Collects what `socket` receives until it closes (at most `limitMs`). */
function replyOf(socket: Socket, limitMs = 5_000): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => resolve(`${Buffer.concat(chunks).toString('latin1')}<not closed>`),
      limitMs,
    );
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
}

test('a small body is read whole before it goes upstream: Content-Length, chunked (sent with its length) and empty bodies arrive intact', async (t) => {
  const { port, seen } = await bufferingGateway(t);
  const client = await rawSocket(t, port);
  client.write(`POST /split HTTP/1.1\r\n${HEAD}Content-Length: 11\r\n\r\nhello`);
  await pause(300);
  assert.equal(seen.length, 0, 'the upstream gets nothing while the body is still coming');
  client.write(' world');
  const reply = (await readUntil(client, (r) => r.includes('got hello world'))).toString();
  assert.match(reply, /^HTTP\/1\.1 200 /);
  assert.equal(seen[0]!.headers['content-length'], '11');

  const chunked = await rawExchange(
    port,
    `POST /chunked HTTP/1.1\r\n${HEAD}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`,
  );
  assert.ok(chunked.reply.endsWith('got hello world'), chunked.reply);
  const empty = await rawExchange(
    port,
    `POST /empty-chunked HTTP/1.1\r\n${HEAD}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  );
  assert.match(empty.reply, /^HTTP\/1\.1 200 /);
  const zero = await rawExchange(port, `POST /zero HTTP/1.1\r\n${HEAD}Content-Length: 0\r\n\r\n`);
  assert.match(zero.reply, /^HTTP\/1\.1 200 /);
  assert.deepEqual(
    seen.map((s) => [s.url, s.headers['content-length'], s.headers['transfer-encoding'], s.body]),
    [
      ['/split', '11', undefined, 'hello world'],
      ['/chunked', '11', undefined, 'hello world'],
      ['/empty-chunked', '0', undefined, ''],
      ['/zero', '0', undefined, ''],
    ],
  );
});

test('a body larger than the buffer streams: by Content-Length at once, a chunked one once it outgrows the buffer, intact', async (t) => {
  const { port, seen } = await bufferingGateway(t);
  const big = await rawSocket(t, port);
  big.write(`PUT /big HTTP/1.1\r\n${HEAD}Content-Length: 4000\r\n\r\n${'a'.repeat(100)}`);
  await waitFor(() => seen.some((s) => s.url === '/big'), 'the streamed request upstream');
  big.write('b'.repeat(3900));
  await readUntil(big, (r) => r.includes('got '));
  assert.equal(seen.find((s) => s.url === '/big')!.body, 'a'.repeat(100) + 'b'.repeat(3900));

  const chunk = (c: string) => `258\r\n${c.repeat(600)}\r\n`;
  const grown = await rawSocket(t, port);
  grown.write(`POST /grown HTTP/1.1\r\n${HEAD}Transfer-Encoding: chunked\r\n\r\n${chunk('c')}${chunk('d')}`);
  await waitFor(() => seen.some((s) => s.url === '/grown'), 'the chunked request upstream once over 1 KiB');
  const grownSeen = seen.find((s) => s.url === '/grown')!;
  assert.equal(grownSeen.headers['transfer-encoding'], 'chunked');
  assert.equal(grownSeen.headers['content-length'], undefined);
  grown.write(`${chunk('e')}0\r\n\r\n`);
  await readUntil(grown, (r) => r.includes('got '));
  assert.equal(grownSeen.body, 'c'.repeat(600) + 'd'.repeat(600) + 'e'.repeat(600));
});

test('a request body that stalls gets 408 SG_ERR_CLIENT_TIMEOUT after the body timeout, buffered or streamed; the upstream is not blamed', async (t) => {
  const { port, seen, logs, registry } = await bufferingGateway(t, { bodyTimeoutMs: 400, minBodyRate: 0 });
  const buffered = await rawExchange(port, `POST /small HTTP/1.1\r\n${HEAD}Content-Length: 10\r\n\r\nhalf.`);
  assert.ok(buffered.closed, 'the connection is closed');
  assert.match(buffered.reply, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(buffered.reply, /\(SG_ERR_CLIENT_TIMEOUT\)\n$/);
  assert.equal(seen.length, 0, 'a buffered body that never completed reached no upstream');
  assert.ok(logs.some((l) => l.code === 'SG_ERR_CLIENT_TIMEOUT' && l.msg === 'request body stalled'));

  const streamed = await rawExchange(
    port,
    `POST /large HTTP/1.1\r\n${HEAD}Content-Length: 4000\r\n\r\n${'x'.repeat(100)}`,
  );
  assert.ok(streamed.closed);
  assert.match(streamed.reply, /^HTTP\/1\.1 408 /);
  assert.deepEqual(
    seen.map((s) => s.url),
    ['/large'],
  );
  const cut = logs.find(
    (l) => l.code === 'SG_ERR_CLIENT_TIMEOUT' && l.cause === 'SG_UPSTREAM_STALLED_BY_CLIENT',
  );
  assert.ok(cut, 'the streamed body is cut as the client stalling');
  assert.equal(
    registry.get('task:only:80')?.healthy,
    true,
    'a stalled client does not take the upstream down',
  );
  assert.equal((await send(port, { method: 'POST', body: 'next' })).body, 'got next');
});

test('a request body slower than the minimum rate gets 408 after the grace period, buffered or streamed', async (t) => {
  const { port, seen, logs, registry } = await bufferingGateway(t, {
    minBodyRate: 1_000,
    minBodyRateGraceMs: 500,
  });
  for (const [url, length] of [
    ['/small', 100],
    ['/large', 4000],
  ] as const) {
    const client = await rawSocket(t, port);
    const reply = replyOf(client);
    client.write(`POST ${url} HTTP/1.1\r\n${HEAD}Content-Length: ${length}\r\n\r\n`);
    // 5 bytes a second, never idle long enough for the (60 s) body timeout.
    const started = performance.now();
    trickle(t, client, 200);
    const got = await reply;
    assert.match(got, /^HTTP\/1\.1 408 /, `${url}: ${got}`);
    assert.ok(performance.now() - started >= 400, 'not before the grace period');
  }
  assert.ok(
    logs.some((l) => l.code === 'SG_ERR_CLIENT_TIMEOUT' && l.msg === 'request body below the minimum rate'),
  );
  assert.ok(
    logs.some((l) => l.code === 'SG_ERR_CLIENT_TIMEOUT' && l.cause === 'SG_UPSTREAM_STALLED_BY_CLIENT'),
  );
  assert.deepEqual(
    seen.map((s) => s.url),
    ['/large'],
    'only the streamed body reached the upstream',
  );
  assert.equal(registry.get('task:only:80')?.healthy, true);
  // A body that comes at speed is not cut, however long the grace period is over.
  const fast = 'y'.repeat(3000);
  assert.equal((await send(port, { method: 'POST', body: fast })).body, `got ${fast}`);
});

test('streamed uploads per client address are capped: the next gets 429 SG_ERR_TOO_MANY_UPLOADS before it sends', async (t) => {
  const { port, seen, logs } = await bufferingGateway(t, { maxUploadsPerClient: 2 });
  const held: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const socket = await rawSocket(t, port);
    socket.write(`POST /held/${i} HTTP/1.1\r\n${HEAD}Content-Length: 4000\r\n\r\n${'h'.repeat(100)}`);
    held.push(socket);
  }
  await waitFor(() => seen.length === 2, 'both uploads upstream');

  const refused = await rawExchange(
    port,
    `POST /third HTTP/1.1\r\n${HEAD}Expect: 100-continue\r\nContent-Length: 4000\r\n\r\n`,
  );
  assert.match(
    refused.reply,
    /^HTTP\/1\.1 429 Too Many Requests\r\n/,
    'no 100 Continue: the body never comes',
  );
  assert.match(refused.reply, /\r\nretry-after: 5\r\n/i);
  assert.match(refused.reply, /\(SG_ERR_TOO_MANY_UPLOADS\)\n$/);
  assert.ok(refused.closed);
  assert.ok(logs.some((l) => l.code === 'SG_ERR_TOO_MANY_UPLOADS'));
  // A chunked body that outgrows the buffer needs a slot too.
  const grown = await rawExchange(
    port,
    `POST /grown HTTP/1.1\r\n${HEAD}Transfer-Encoding: chunked\r\n\r\n7d0\r\n${'g'.repeat(2000)}\r\n`,
  );
  assert.match(grown.reply, /^HTTP\/1\.1 429 /);
  // Buffered bodies and bodyless requests hold no slot.
  assert.equal((await send(port, { method: 'POST', body: 'small' })).body, 'got small');
  assert.equal((await send(port)).status, 200);
  assert.deepEqual(
    seen.map((s) => s.url),
    ['/held/0', '/held/1', '/', '/'],
  );

  // A slot comes back when its upload ends.
  held[0]!.destroy();
  const next = await rawSocket(t, port);
  next.write(`POST /next HTTP/1.1\r\n${HEAD}Content-Length: 4000\r\n\r\n`);
  await pause(100);
  await waitFor(() => seen.some((s) => s.url === '/next'), 'a new upload once a slot is free');
});

test('behind a trusted proxy, each client the proxy forwards has its own upload slots', async (t) => {
  const { port, seen } = await bufferingGateway(
    t,
    { maxUploadsPerClient: 1 },
    { trustedProxies: ['127.0.0.1'] },
  );
  const upload = (url: string, client: string) =>
    `POST ${url} HTTP/1.1\r\n${HEAD}X-Real-IP: ${client}\r\nContent-Length: 4000\r\n\r\n${'u'.repeat(10)}`;
  const first = await rawSocket(t, port);
  first.write(upload('/a1', '198.51.100.1'));
  const second = await rawSocket(t, port);
  second.write(upload('/b1', '198.51.100.2'));
  await waitFor(() => seen.length === 2, 'one upload of each client upstream');
  const again = await rawExchange(port, upload('/a2', '198.51.100.1'));
  assert.match(again.reply, /^HTTP\/1\.1 429 /, 'the first client is at its limit');
  // IPv6 clients count by /64: another address of the same block is the same client.
  const v6 = await rawSocket(t, port);
  v6.write(upload('/c1', '2001:db8:1:2::10'));
  await waitFor(() => seen.length === 3, 'the IPv6 client upstream');
  const sameBlock = await rawExchange(port, upload('/c2', '2001:db8:1:2:ffff::20'));
  assert.match(sameBlock.reply, /^HTTP\/1\.1 429 /);
});

test('a buffered body goes to another upstream after a connect failure, intact', async (t) => {
  const bodies: string[] = [];
  const origin = await startServer(t, async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    bodies.push(body);
    res.end(`got ${body}`);
  });
  const { port, logs } = await startGateway(
    t,
    table(
      [route('web/default', 'web', { balance: 'round-robin' })],
      [
        backend('web', [
          upstream('task:dead:80', { port: await closedPort() }),
          upstream('task:live:80', { port: origin.port }),
        ]),
      ],
    ),
  );
  for (let i = 0; i < 2; i++) {
    const { reply } = await rawExchange(
      port,
      `POST /retry HTTP/1.1\r\n${HEAD}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`,
    );
    assert.ok(reply.endsWith('got hello world'), reply);
  }
  assert.ok(logs.some((l) => l.msg === 'retrying the request on another upstream'));
  assert.deepEqual(bodies, ['hello world', 'hello world']);
});

test('Expect: 100-continue with a small body: 100 Continue once routed, then the body is read whole and goes upstream', async (t) => {
  const { port, seen } = await bufferingGateway(t);
  const client = await rawSocket(t, port);
  client.write(`POST /expect HTTP/1.1\r\n${HEAD}Expect: 100-continue\r\nContent-Length: 5\r\n\r\n`);
  const interim = (await readUntil(client, (r) => r.includes('\r\n\r\n'))).toString();
  assert.equal(interim, 'HTTP/1.1 100 Continue\r\n\r\n');
  assert.equal(seen.length, 0);
  client.write('hello');
  const reply = (await readUntil(client, (r) => r.includes('got hello'))).toString();
  assert.match(reply, /^HTTP\/1\.1 200 /);
  assert.equal(seen[0]!.headers.expect, undefined);
});

test('a chunked body over the body limit within the buffer gets 413 and reaches no upstream', async (t) => {
  const { port, seen } = await bufferingGateway(t, { maxBodyBytes: 8 });
  const { reply, closed } = await rawExchange(
    port,
    `POST /over HTTP/1.1\r\n${HEAD}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`,
  );
  assert.match(reply, /^HTTP\/1\.1 413 /);
  assert.ok(closed);
  assert.equal(seen.length, 0);
});

test('a client that leaves while its body is buffered ends as SG_ERR_CLIENT_ABORTED; nothing reaches the upstream', async (t) => {
  const { port, seen, gateway } = await bufferingGateway(t);
  const ends = channelMessages<RequestEndEvent>(t, requestEndChannel.name as string);
  const socket = await rawSocket(t, port);
  socket.end(`POST /gone HTTP/1.1\r\n${HEAD}Content-Length: 100\r\n\r\n0123456789`);
  await waitFor(() => ends.length === 1, 'the request-end event');
  assert.equal(ends[0]!.errorCode, 'SG_ERR_CLIENT_ABORTED');
  assert.equal(gateway.inflight, 0);
  assert.equal(seen.length, 0);
});

test('a streamed body held back by a slow upstream is not the client stalling: no 408 however long the upstream waits', async (t) => {
  const total = 8 * 1024 * 1024;
  const origin = await startServer(t, (req, res) => {
    // Reads nothing for well over the body timeout: the gateway pauses the client meanwhile.
    req.pause();
    setTimeout(() => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      req.on('end', () => res.end(`got ${bytes}`));
      req.resume();
    }, 1_200);
  });
  const { port } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:only:80', { port: origin.port })])]),
    { limits: { bodyTimeoutMs: 300, minBodyRate: 1_000_000, minBodyRateGraceMs: 300 } },
  );
  const answer = await send(port, { method: 'PUT', body: Buffer.alloc(total, 'z') });
  assert.equal(answer.status, 200, answer.body);
  assert.equal(answer.body, `got ${total}`);
});
