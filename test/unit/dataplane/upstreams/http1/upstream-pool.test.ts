import assert from 'node:assert/strict';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { UpstreamResponseHandler } from '../../../../../src/dataplane/upstreams/http1/exchange-handler.js';
import { fetchFromPool } from '../../../../../src/dataplane/upstreams/http1/pool-fetch.js';
import { UpstreamError } from '../../../../../src/dataplane/upstreams/http1/upstream-error.js';
import {
  UpstreamPool,
  type UpstreamPoolOptions,
} from '../../../../../src/dataplane/upstreams/http1/upstream-pool.js';
import { closedPort, startServer, waitFor } from '../servers.js';

const host = ['host', 'up.test'];

function newPool(
  t: { after: (fn: () => Promise<void>) => void },
  port: number,
  overrides: Partial<UpstreamPoolOptions> = {},
): UpstreamPool {
  const pool = new UpstreamPool('127.0.0.1', port, {
    connections: 4,
    connectTimeoutMs: 2_000,
    timeoutMs: 5_000,
    keepAliveTimeoutMs: 4_000,
    maxResponseHeadBytes: 16 * 1024,
    ...overrides,
  });
  t.after(() => pool.close());
  return pool;
}

/** A raw TCP upstream whose answer to each request head is up to the test. */
async function rawUpstream(
  t: { after: (fn: () => Promise<void>) => void },
  answer: (socket: Socket, head: string) => void,
): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createNetServer((socket) => {
    sockets.push(socket);
    let pending = '';
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        answer(socket, head);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, sockets };
}

/** A raw upstream that answers the first request on each connection and hands later ones to `later`. */
function answersOnceThen(t: { after: (fn: () => Promise<void>) => void }, later: (socket: Socket) => void) {
  const served = new WeakSet<Socket>();
  return rawUpstream(t, (socket) => {
    if (served.has(socket)) {
      later(socket);
      return;
    }
    served.add(socket);
    socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
}

const get = (pool: UpstreamPool, path = '/') => fetchFromPool(pool, 'GET', path, host, { timeoutMs: 5_000 });

test('sequential requests reuse one keep-alive connection', async (t) => {
  const seen = new Set<unknown>();
  const server = await startServer(t, (req, res) => {
    seen.add(req.socket);
    res.end(`path ${req.url}`);
  });
  const pool = newPool(t, server.port);
  for (const path of ['/a', '/b', '/c'])
    assert.equal((await get(pool, path)).body.toString(), `path ${path}`);
  assert.equal(seen.size, 1);
  assert.equal(pool.connections, 1);
});

test('at the connection limit, requests wait for a free connection instead of failing', async (t) => {
  const seen = new Set<unknown>();
  const server = await startServer(t, (req, res) => {
    seen.add(req.socket);
    setTimeout(() => res.end(req.url), 20);
  });
  const pool = newPool(t, server.port, { connections: 2 });
  const bodies = await Promise.all(
    ['/1', '/2', '/3', '/4', '/5'].map(async (p) => (await get(pool, p)).body.toString()),
  );
  assert.deepEqual(bodies, ['/1', '/2', '/3', '/4', '/5']);
  assert.equal(seen.size, 2);
});

test('a request that waits past the connect timeout for a free connection fails with SG_UPSTREAM_QUEUE_TIMEOUT, never sent', async (t) => {
  const paths: string[] = [];
  let release: (() => void) | undefined;
  const server = await startServer(t, (req, res) => {
    paths.push(req.url ?? '');
    if (req.url === '/held') release = () => res.end('held');
    else res.end('next');
  });
  const pool = newPool(t, server.port, { connections: 1, connectTimeoutMs: 150 });
  const held = get(pool, '/held');
  await waitFor(() => release !== undefined, 'the first request to arrive');
  await assert.rejects(get(pool, '/queued'), { code: 'SG_UPSTREAM_QUEUE_TIMEOUT' });
  release!();
  assert.equal((await held).body.toString(), 'held');
  assert.equal(
    (await get(pool, '/after')).body.toString(),
    'next',
    'the freed connection serves the next request',
  );
  assert.deepEqual(paths, ['/held', '/after'], 'the timed-out request never reached the upstream');
});

test('a refused connect fails the exchange before onConnect', async (t) => {
  const pool = newPool(t, await closedPort());
  const events: string[] = [];
  const err = await new Promise<Error>((resolve) => {
    pool.dispatch(
      { method: 'GET', path: '/', headers: host, body: null, contentLength: 0 },
      {
        onConnect: () => events.push('connect'),
        onHeaders: () => events.push('headers'),
        onData: () => true,
        onComplete: () => events.push('complete'),
        onError: resolve,
      },
    );
  });
  assert.equal((err as { code?: string }).code, 'ECONNREFUSED');
  assert.deepEqual(events, []);
});

test('a silent upstream fails with SG_UPSTREAM_RESPONSE_TIMEOUT', async (t) => {
  const silent = await rawUpstream(t, () => {});
  const pool = newPool(t, silent.port, { timeoutMs: 150 });
  await assert.rejects(get(pool), { code: 'SG_UPSTREAM_RESPONSE_TIMEOUT' });
});

test('an upstream closing without answering fails with SG_UPSTREAM_CLOSED', async (t) => {
  const rude = await rawUpstream(t, (socket) => socket.end());
  const pool = newPool(t, rude.port);
  await assert.rejects(get(pool), { code: 'SG_UPSTREAM_CLOSED' });
});

test('a reused connection closed before answering fails as stale and takes the older idle ones along', async (t) => {
  // Closes at the second request without a byte, as an upstream closing an idle keep-alive connection
  // just as the next request goes out.
  const upstream = await answersOnceThen(t, (socket) => socket.end());
  const pool = newPool(t, upstream.port);
  await Promise.all([get(pool), get(pool)]);
  assert.equal(pool.connections, 2, 'two connections idle');
  await assert.rejects(get(pool), { code: 'SG_UPSTREAM_STALE_CONNECTION' });
  await waitFor(() => pool.connections === 0, 'the older idle connection to be closed too');
  await assert.rejects(
    fetchFromPool(pool, 'GET', '/', host, { timeoutMs: 5_000 }).then(() => get(pool)),
    { code: 'SG_UPSTREAM_STALE_CONNECTION' },
    'a new connection answers, its reuse is stale again',
  );
});

test('a reused connection the upstream closes well after the request went out is the upstream failing, not stale', async (t) => {
  // The upstream works on the second request, then dies without a word.
  const upstream = await answersOnceThen(t, (socket) => setTimeout(() => socket.end(), 400));
  const pool = newPool(t, upstream.port);
  await get(pool);
  await assert.rejects(get(pool), { code: 'SG_UPSTREAM_CLOSED' });
});

test('an upstream that goes away mid-body fails with SG_UPSTREAM_CLOSED, not as a protocol error', async (t) => {
  const upstream = await rawUpstream(t, (socket) => {
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc');
  });
  const pool = newPool(t, upstream.port);
  await assert.rejects(get(pool), { code: 'SG_UPSTREAM_CLOSED' });
});

test('a fresh dispatch opens a new connection though idle ones wait', async (t) => {
  const upstream = await rawUpstream(t, (socket) => {
    socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  const pool = newPool(t, upstream.port);
  await get(pool);
  assert.equal(upstream.sockets.length, 1);
  await new Promise<void>((resolve, reject) => {
    pool.dispatch(
      { method: 'GET', path: '/', headers: host, body: null, contentLength: 0 },
      {
        onConnect: () => {},
        onHeaders: () => {},
        onData: () => true,
        onComplete: () => resolve(),
        onError: reject,
      },
      true,
    );
  });
  assert.equal(upstream.sockets.length, 2, 'a second connection, the idle one left alone');
  assert.equal(pool.connections, 2);
});

test('an idle connection closed by the upstream is not reused', async (t) => {
  const server = await rawUpstream(t, (socket) => {
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  });
  const pool = newPool(t, server.port);
  assert.equal((await get(pool)).body.toString(), 'ok');
  await waitFor(() => pool.connections === 0, 'the closed connection to leave the pool');
  assert.equal((await get(pool)).body.toString(), 'ok');
  assert.equal(server.sockets.length, 2);
});

test('responses with Connection: close, stray bytes or a short Keep-Alive hint end their connection', async (t) => {
  const answers = [
    'HTTP/1.1 200 OK\r\ncontent-length: 1\r\nconnection: close\r\n\r\na',
    'HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nbEXTRA',
    'HTTP/1.1 200 OK\r\ncontent-length: 1\r\nkeep-alive: timeout=1\r\n\r\nc',
    'HTTP/1.1 200 OK\r\ncontent-length: 1\r\nkeep-alive: timeout=30\r\n\r\nd',
  ];
  const server = await rawUpstream(t, (socket) => socket.write(answers.shift()!));
  const pool = newPool(t, server.port);
  const bodies: string[] = [];
  for (let i = 0; i < 4; i++) bodies.push((await get(pool)).body.toString());
  assert.deepEqual(bodies, ['a', 'b', 'c', 'd']);
  assert.equal(server.sockets.length, 4, 'each of the first three connections was closed, not reused');
  assert.equal(pool.connections, 1);
});

test('idle connections expire after the keep-alive timeout', async (t) => {
  const server = await startServer(t, (_req, res) => res.end('ok'));
  const pool = newPool(t, server.port, { keepAliveTimeoutMs: 100 });
  await Promise.all([get(pool), get(pool)]);
  assert.equal(pool.connections, 2);
  await waitFor(() => pool.connections === 0, 'idle connections to expire');
});

test('a body of unknown length goes out chunked, one of known length as is', async (t) => {
  const received: { te?: string; cl?: string; body: string }[] = [];
  const server = await startServer(t, async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    received.push({ te: req.headers['transfer-encoding'], cl: req.headers['content-length'], body });
    res.end('stored');
  });
  const pool = newPool(t, server.port);
  const send = (body: Readable, contentLength: number, headers: string[]) =>
    new Promise<number>((resolve, reject) => {
      pool.dispatch({ method: 'POST', path: '/', headers, body, contentLength }, collect(resolve, reject));
    });
  assert.equal(await send(Readable.from(['part one, ', 'part two']), -1, host), 200);
  assert.equal(await send(Readable.from([Buffer.from('12345')]), 5, [...host, 'content-length', '5']), 200);
  assert.deepEqual(received, [
    { te: 'chunked', cl: undefined, body: 'part one, part two' },
    { te: undefined, cl: '5', body: '12345' },
  ]);
});

test('a response that comes before the whole body was sent is delivered, and the connection is dropped', async (t) => {
  const server = await rawUpstream(t, (socket) => {
    socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n');
  });
  const pool = newPool(t, server.port);
  const endless = new Readable({ read() {} });
  endless.push('the start of a long upload');
  const status = await new Promise<number>((resolve, reject) => {
    const request = { method: 'POST', path: '/', headers: host, body: endless, contentLength: -1 };
    pool.dispatch(request, collect(resolve, reject));
  });
  assert.equal(status, 413);
  await waitFor(() => pool.connections === 0, 'the half-sent connection to close');
});

test('onData returning false pauses the upstream until resume', async (t) => {
  const big = Buffer.alloc(4 * 1024 * 1024, 'x');
  const server = await startServer(t, (_req, res) => res.end(big));
  const pool = newPool(t, server.port);
  let received = 0;
  let resume: () => void = () => {};
  let pauses = 0;
  const handler: UpstreamResponseHandler = {
    onConnect: () => {},
    onHeaders: (_status, _headers, resumeFn) => {
      resume = resumeFn;
    },
    onData: (chunk) => {
      received += chunk.length;
      pauses += 1;
      setImmediate(() => resume());
      return false;
    },
    onComplete: (last) => {
      received += last?.length ?? 0;
      done();
    },
    onError: (err) => fail(err),
  };
  let done: () => void = () => {};
  let fail: (err: Error) => void = () => {};
  await new Promise<void>((resolve, reject) => {
    done = resolve;
    fail = reject;
    pool.dispatch({ method: 'GET', path: '/', headers: host, body: null, contentLength: 0 }, handler);
  });
  assert.equal(received, big.length);
  assert.ok(pauses > 1);
});

test('a body that ends in the read it arrived in comes with onComplete; earlier reads stream through onData', async (t) => {
  const server = await rawUpstream(t, (socket, head) => {
    if (head.startsWith('GET /whole')) {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nwhole');
      return;
    }
    socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nfirst');
    setTimeout(() => socket.write('-last'), 50);
  });
  const pool = newPool(t, server.port);
  const run = (path: string) =>
    new Promise<string[]>((resolve, reject) => {
      const events: string[] = [];
      pool.dispatch(
        { method: 'GET', path, headers: host, body: null, contentLength: 0 },
        {
          onConnect: () => {},
          onHeaders: () => {},
          onData: (chunk) => events.push(`data ${chunk}`) > 0,
          onComplete: (last) => resolve([...events, `complete ${last ?? '-'}`]),
          onError: reject,
        },
      );
    });
  assert.deepEqual(await run('/whole'), ['complete whole']);
  assert.deepEqual(await run('/split'), ['data first', 'complete -last']);
});

test('close() lets the running exchange finish, then closes its connection', async (t) => {
  let release: (() => void) | undefined;
  const server = await startServer(t, (_req, res) => {
    release = () => res.end('late');
  });
  const pool = newPool(t, server.port);
  const response = get(pool);
  await waitFor(() => release !== undefined, 'the request to arrive');
  const closed = pool.close();
  await assert.rejects(get(pool), { code: 'SG_UPSTREAM_POOL_CLOSED' });
  release!();
  assert.equal((await response).body.toString(), 'late');
  await closed;
  assert.equal(pool.connections, 0);
});

function collect(resolve: (status: number) => void, reject: (err: Error) => void): UpstreamResponseHandler {
  let status = 0;
  return {
    onConnect: () => {},
    onHeaders: (s) => {
      status = s;
    },
    onData: () => true,
    onComplete: () => resolve(status),
    onError: reject,
  };
}

test('failUnanswered ends the exchanges with no response byte, queued ones too, and leaves a response under way', async (t) => {
  const upstream = await rawUpstream(t, (socket, head) => {
    // Only /partial gets an answer: a head and part of its body; every other request waits forever.
    if (head.startsWith('GET /partial ')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello');
  });
  const pool = newPool(t, upstream.port, { connections: 2, connectTimeoutMs: 5_000 });
  let partialStatus = 0;
  const partialEnded: string[] = [];
  pool.dispatch(
    { method: 'GET', path: '/partial', headers: host, body: null, contentLength: 0 },
    {
      onConnect: () => {},
      onHeaders: (status) => {
        partialStatus = status;
      },
      onData: () => true,
      onComplete: () => partialEnded.push('complete'),
      onError: (err) => partialEnded.push((err as { code?: string }).code ?? 'error'),
    },
  );
  await waitFor(() => partialStatus === 200, 'the partial response head');
  const started: boolean[] = [];
  const failures = ['/waiting', '/queued'].map(
    (path) =>
      new Promise<string>((resolve) => {
        pool.dispatch(
          { method: 'POST', path, headers: [...host, 'content-length', '0'], body: null, contentLength: 0 },
          {
            onConnect: () => {},
            onHeaders: () => resolve('answered'),
            onData: () => true,
            onComplete: () => resolve('complete'),
            onError: (err, responseStarted) => {
              started.push(responseStarted);
              resolve((err as { code?: string }).code ?? 'error');
            },
          },
        );
      }),
  );
  await waitFor(() => upstream.sockets.length === 2, 'the second connection');
  assert.equal(pool.hasUnanswered(), true);

  const err = new UpstreamError('SG_UPSTREAM_UNREACHABLE', 'gone');
  assert.equal(pool.failUnanswered(err), 2, 'the request waiting for its head and the queued one');
  assert.deepEqual(await Promise.all(failures), ['SG_UPSTREAM_UNREACHABLE', 'SG_UPSTREAM_UNREACHABLE']);
  assert.deepEqual(started, [false, false]);
  assert.equal(pool.hasUnanswered(), false);
  assert.deepEqual(partialEnded, [], 'the response under way goes on');
  assert.equal(pool.failUnanswered(err), 0);
});
