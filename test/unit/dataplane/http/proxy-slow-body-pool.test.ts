import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { UpstreamRegistry } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import { startServer } from '../upstreams/servers.js';
import { backend, registryOptions, route, table, upstream } from '../upstreams/table-fixtures.js';
import { rawSocket, send, startGateway } from './harness.js';

const POOL = 4;
const SLOW_CLIENTS = 3 * POOL;
/** How long a request waits for a pooled connection; on a held pool the good client fails after it. */
const QUEUE_TIMEOUT_MS = 3_000;
/** Generous: the good client is served in milliseconds when nothing holds the pool. */
const PROMPT_MS = 2_000;

// Issue 17, defect 3: connections each trickling a small body one byte at a time held every pooled
// connection of their upstream, and every other client of it got 503 until they were done.
test('issue 17: slow small request bodies do not take the upstream pool away from other clients', async (t) => {
  const origin = await startServer(t, async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    res.end(`got ${body}`);
  });
  const registry = new UpstreamRegistry(
    registryOptions({ connectionsPerUpstream: POOL, connectTimeoutMs: QUEUE_TIMEOUT_MS }),
  );
  const { port } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:only:80', { port: origin.port })])]),
    { registry },
  );

  // Each slow client declares a 100-byte body and sends one byte every 200 ms (bounded: 10 s at most).
  const slow: Socket[] = [];
  for (let i = 0; i < SLOW_CLIENTS; i++) {
    const socket = await rawSocket(t, port);
    socket.on('error', () => {});
    socket.write('POST /slow HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 100\r\n\r\n');
    slow.push(socket);
  }
  const trickle = setInterval(() => {
    for (const socket of slow) if (!socket.destroyed) socket.write('x');
  }, 200);
  const stop = setTimeout(() => clearInterval(trickle), 10_000);
  t.after(() => {
    clearInterval(trickle);
    clearTimeout(stop);
  });
  // Let the slow requests settle wherever the gateway puts them.
  await new Promise((resolve) => setTimeout(resolve, 600));

  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const answer = await send(port, { method: 'POST', path: `/good/${i}`, body: 'hello' });
    const ms = performance.now() - started;
    assert.equal(answer.status, 200, `good request ${i}: ${answer.body}`);
    assert.equal(answer.body, 'got hello');
    assert.ok(ms < PROMPT_MS, `good request ${i} took ${Math.round(ms)} ms while slow clients trickled`);
  }
  clearInterval(trickle);
});
