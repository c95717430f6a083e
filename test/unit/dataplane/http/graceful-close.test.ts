import assert from 'node:assert/strict';
import { Agent, request as httpRequest, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { type RequestEndEvent, requestEndChannel } from '../../../../src/dataplane/http/diagnostics.js';
import { startServer, waitFor } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { channelMessages, send, startGateway, type TestResponse } from './harness.js';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

async function heldGateway(t: Parameters<typeof startServer>[0]) {
  const held: ServerResponse[] = [];
  const web = await startServer(t, (req, res) => {
    if (req.url === '/hold') held.push(res);
    else res.end('quick');
  });
  const gw = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
  );
  return { ...gw, held };
}

test('close waits for the request in flight, refuses new connections, then resolves', async (t) => {
  const { port, gateway, held } = await heldGateway(t);
  const agent = new Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const idle = await new Promise<TestResponse>((resolve) => {
    httpRequest({ host: '127.0.0.1', port, agent, headers: { host: 'app.example.com' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }));
    }).end();
  });
  assert.equal(idle.headers.connection, 'keep-alive');
  await waitFor(() => Object.keys(agent.freeSockets).length === 1, 'an idle keep-alive connection');
  const inFlight = send(port, { path: '/hold' });
  await waitFor(() => held.length === 1, 'the upstream holds the request');

  let closed = false;
  const closing = gateway.close(30_000).then(() => {
    closed = true;
  });
  assert.equal(gateway.closing, true);
  assert.ok(await refused(port), 'no new connections');
  await waitFor(
    () => Object.keys(agent.freeSockets).length === 0,
    'the idle keep-alive connection is closed',
  );
  assert.equal(closed, false, 'close waits for the request in flight');

  held[0]!.end('finally');
  const res = await inFlight;
  assert.equal(res.status, 200);
  assert.equal(res.body, 'finally');
  assert.equal(res.headers.connection, 'close');
  await closing;
  assert.equal(gateway.inflight, 0);
});

test('close destroys what is still running when the grace period runs out', async (t) => {
  const { port, gateway, held } = await heldGateway(t);
  const ends = channelMessages<RequestEndEvent>(t, requestEndChannel.name as string);
  const inFlight = send(port, { path: '/hold' }).then(
    () => 'answered',
    (err: NodeJS.ErrnoException) => err.code,
  );
  await waitFor(() => held.length === 1, 'the upstream holds the request');
  await gateway.close(100);
  assert.equal(await inFlight, 'ECONNRESET');
  await waitFor(() => ends.length === 1, 'the request-end event');
  assert.equal(ends[0]!.errorCode, 'SG_ERR_SHUTDOWN_CUT', 'cut by the gateway, not blamed on the client');
  assert.equal(ends[0]!.status, 0);
});
