import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { startServer, waitFor } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { deferred, rawExchange, rawSocket, readUntil, startGateway } from './harness.js';

const MiB = 1024 * 1024;
const TOTAL = 128 * MiB;
/** Far above what loopback socket buffers on two hops hold, far below TOTAL: beyond it, something buffers. */
const BUFFER_BOUND = 48 * MiB;

/** A deterministic byte source that counts what has been read from it. */
class CountingSource extends Readable {
  produced = 0;
  readonly #total: number;
  readonly #hash = createHash('sha256');
  constructor(total: number) {
    super({ highWaterMark: 64 * 1024 });
    this.#total = total;
  }
  override _read(): void {
    if (this.produced >= this.#total) {
      this.push(null);
      return;
    }
    const chunk = Buffer.alloc(Math.min(64 * 1024, this.#total - this.produced), this.produced % 251);
    this.produced += chunk.length;
    this.#hash.update(chunk);
    this.push(chunk);
  }
  digest(): string {
    return this.#hash.digest('hex');
  }
}

/** Waits until `count()` stops growing (the stream stalled on backpressure) and returns it. */
async function stalledAt(count: () => number): Promise<number> {
  let last = -1;
  while (count() !== last) {
    last = count();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return last;
}

function consume(stream: IncomingMessage): Promise<{ bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    stream.on('end', () => resolve({ bytes, sha256: hash.digest('hex') }));
    stream.on('error', reject);
    stream.resume();
  });
}

function singleBackendTable(port: number) {
  return table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port })])]);
}

test('a large upload streams with backpressure: a paused upstream stalls the client, then gets every byte', async (t) => {
  let upstreamReq: IncomingMessage | undefined;
  const received = deferred<{ bytes: number; sha256: string; te?: string }>();
  const web = await startServer(t, (req, res) => {
    upstreamReq = req;
    consume(req).then((r) => {
      received.resolve({ ...r, te: req.headers['transfer-encoding'] });
      res.end('stored');
    }, received.reject);
    req.pause();
  });
  const { port } = await startGateway(t, singleBackendTable(web.port));
  const source = new CountingSource(TOTAL);
  const response = new Promise<string>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: '/upload',
        agent: false,
        headers: { host: 'app.example.com', 'content-length': TOTAL },
      },
      (res) => {
        res.setEncoding('utf8');
        let body = '';
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
    source.pipe(req);
  });
  await waitFor(() => upstreamReq !== undefined, 'the upstream request');
  const stalled = await stalledAt(() => source.produced);
  assert.ok(stalled < BUFFER_BOUND, `client could write ${stalled} bytes while the upstream read nothing`);
  upstreamReq!.resume();
  const got = await received.promise;
  assert.equal(got.bytes, TOTAL);
  assert.equal(got.sha256, source.digest());
  assert.equal(await response, 'stored');
});

test('a large download streams with backpressure: a paused client stalls the upstream, then gets every byte', async (t) => {
  const source = new CountingSource(TOTAL);
  const web = await startServer(t, (_req, res) => {
    res.setHeader('content-length', TOTAL);
    source.pipe(res);
  });
  const { port } = await startGateway(t, singleBackendTable(web.port));
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/big', agent: false, headers: { host: 'app.example.com' } },
      resolve,
    );
    req.on('error', reject);
    req.end();
  });
  res.pause();
  const stalled = await stalledAt(() => source.produced);
  assert.ok(stalled < BUFFER_BOUND, `upstream could write ${stalled} bytes while the client read nothing`);
  const got = await consume(res);
  assert.equal(got.bytes, TOTAL);
  assert.equal(got.sha256, source.digest());
});

test('with the request buffer off, chunked bodies stream through both ways, chunk by chunk', async (t) => {
  const web = await startServer(t, async (req, res) => {
    res.write(`te=${req.headers['transfer-encoding']};`);
    for await (const chunk of req) res.write(`got:${chunk};`);
    res.end('done');
  });
  // With it on, a chunked body goes upstream once it ends (or outgrows the buffer).
  const { port } = await startGateway(t, singleBackendTable(web.port), { limits: { requestBufferBytes: 0 } });
  const client = await rawSocket(t, port);
  client.write(
    'POST /c HTTP/1.1\r\nHost: app.example.com\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n',
  );
  const head = await readUntil(client, (r) => r.includes('got:hello;'));
  assert.match(head.toString(), /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(head.toString(), /\r\ntransfer-encoding: chunked\r\n/i);
  assert.match(head.toString(), /te=chunked;/, 'the upstream gets a chunked body');
  client.write('6\r\n world\r\n0\r\n\r\n');
  const rest = await readUntil(client, (r) => r.includes('\r\n0\r\n\r\n'));
  assert.match(rest.toString(), /got: world;/);
  assert.match(rest.toString(), /done/);
});

test('an HTTP/1.0 request with Transfer-Encoding is answered, then its connection closes, even with keep-alive', async (t) => {
  const web = await startServer(t, async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    res.end(`got ${body}`);
  });
  const { port } = await startGateway(t, singleBackendTable(web.port));
  // RFC 9112 §6.1: the framing of an HTTP/1.0 message with Transfer-Encoding is faulty.
  const { reply, closed } = await rawExchange(
    port,
    'POST / HTTP/1.0\r\nHost: app.example.com\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5\r\nhello\r\n0\r\n\r\n',
  );
  assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(reply, /\r\nconnection: close\r\n/i);
  assert.ok(reply.endsWith('got hello'), reply);
  assert.ok(closed, 'the connection is closed after the answer');
  const kept = await rawExchange(
    port,
    'POST / HTTP/1.0\r\nHost: app.example.com\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello',
    500,
  );
  assert.match(kept.reply, /\r\nconnection: keep-alive\r\n/i);
  assert.equal(kept.closed, false, 'HTTP/1.0 keep-alive with Content-Length stays open');
});

test('a response head reaches the client before its body starts (server-sent events, long polling)', async (t) => {
  const release = deferred<void>();
  const web = await startServer(t, async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    await release.promise;
    res.end('data: first\n\n');
  });
  const { port } = await startGateway(t, singleBackendTable(web.port));
  const client = await rawSocket(t, port);
  client.write('GET /events HTTP/1.1\r\nHost: app.example.com\r\n\r\n');
  // The upstream holds its body until the client has the head: without the head flush this waits forever.
  const head = await readUntil(client, (r) => r.includes('\r\n\r\n'));
  assert.match(head.toString(), /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(head.toString(), /\r\ncontent-type: text\/event-stream\r\n/);
  assert.ok(head.toString().endsWith('\r\n\r\n'), 'the head came alone');
  release.resolve();
  const body = await readUntil(client, (r) => r.includes('\r\n0\r\n\r\n'));
  assert.match(body.toString(), /data: first/);
});

test('a head of more than 2000 header lines reaches the upstream whole, body and all', async (t) => {
  const web = await startServer(t, async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const lines = req.rawHeaders.filter((name, i) => i % 2 === 0 && /^x\d$/.test(name)).length;
    res.end(`${lines} lines, ${body}`);
  });
  // The upstream must take the whole head too: node's default drops the lines after the 1000th on
  // Node 20 and answers 431 on Node 22 and later.
  web.maxHeadersCount = 0;
  const { port } = await startGateway(t, singleBackendTable(web.port));
  const lines = Array.from({ length: 2100 }, (_, i) => `x${i % 10}: y\r\n`).join('');
  const { reply } = await rawExchange(
    port,
    `POST / HTTP/1.1\r\nHost: app.example.com\r\n${lines}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
      '5\r\nhello\r\n0\r\n\r\n',
  );
  // The gateway forwards the body only if it saw the Transfer-Encoding after the 2000th line.
  assert.ok(reply.endsWith('\r\n\r\n2100 lines, hello'), reply.slice(0, 200));
});

test('Expect: 100-continue: the gateway routes first, then lets the body come, and the upstream never sees Expect', async (t) => {
  const web = await startServer(t, async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    res.end(JSON.stringify({ body, expect: req.headers.expect ?? null }));
  });
  const { port } = await startGateway(t, singleBackendTable(web.port));
  const result = await new Promise<{ continued: boolean; body: string }>((resolve, reject) => {
    let continued = false;
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent: false,
        headers: { host: 'app.example.com', expect: '100-continue', 'content-length': 5 },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ continued, body }));
      },
    );
    req.on('continue', () => {
      continued = true;
      req.end('hello');
    });
    req.on('error', reject);
  });
  assert.equal(result.continued, true);
  assert.deepEqual(JSON.parse(result.body), { body: 'hello', expect: null });

  const refused = await rawExchange(
    port,
    'POST / HTTP/1.1\r\nHost: nowhere.example\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n',
  );
  assert.match(refused.reply, /^HTTP\/1\.1 404 /, 'an unroutable request is refused without 100 Continue');
  assert.ok(refused.closed, 'and its unsent body is not awaited');
});

test('a client that goes away aborts the upstream request', async (t) => {
  const upstreamClosed = deferred<void>();
  const web = await startServer(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first chunk');
    res.on('close', () => upstreamClosed.resolve());
  });
  const { port, registry } = await startGateway(t, singleBackendTable(web.port));
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/slow', agent: false, headers: { host: 'app.example.com' } },
      (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      },
    );
    req.on('error', () => {});
    req.on('close', () => resolve());
    req.end();
    setTimeout(() => reject(new Error('no response')), 5_000).unref();
  });
  await upstreamClosed.promise;
  await waitFor(() => registry.get('task:web1:80')?.inflight === 0, 'in-flight count back to 0');
});

test('a client that goes away before the upstream answered aborts the upstream request too', async (t) => {
  const upstreamClosed = deferred<void>();
  const arrived = deferred<void>();
  const web = await startServer(t, (req) => {
    arrived.resolve();
    req.socket.on('close', () => upstreamClosed.resolve());
  });
  const { port, registry, logs } = await startGateway(t, singleBackendTable(web.port));
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    path: '/',
    agent: false,
    headers: { host: 'app.example.com' },
  });
  req.on('error', () => {});
  req.end();
  await arrived.promise;
  req.destroy();
  await upstreamClosed.promise;
  await waitFor(() => registry.get('task:web1:80')?.inflight === 0, 'in-flight count back to 0');
  assert.ok(
    !logs.some((l) => l.code === 'SG_ERR_UPSTREAM_RESET'),
    'a client abort is not blamed on the upstream',
  );
});

test('a pipelined request queued behind another never starts when its client leaves first: nothing stays in flight', async (t) => {
  const slowArrived = deferred<void>();
  const release = deferred<void>();
  const paths: string[] = [];
  const web = await startServer(t, async (req, res) => {
    paths.push(req.url ?? '');
    if (req.url === '/slow') {
      slowArrived.resolve();
      await release.promise;
    }
    req.resume();
    res.end('done');
  });
  const { port, gateway } = await startGateway(t, singleBackendTable(web.port));
  const socket = await rawSocket(t, port);
  socket.write(
    'GET /slow HTTP/1.1\r\nHost: app.example.com\r\n\r\n' +
      'POST /queued HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 5\r\n\r\nhello',
  );
  await slowArrived.promise;
  assert.equal(gateway.inflight, 1, 'the queued request waits for the response ahead of it');
  socket.destroy();
  release.resolve();
  await waitFor(() => gateway.inflight === 0, 'in-flight count back to 0 once the client left');
  assert.deepEqual(
    paths,
    ['/slow'],
    'the queued POST never reached the upstream: nobody would get its answer',
  );
});
