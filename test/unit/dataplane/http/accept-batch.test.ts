import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readdirSync, readlinkSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { copyListeningSockets } from '../../../../src/dataplane/http/listening-socket-copies.js';
import { startServer, waitFor } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { readUntil, send, startGateway } from './harness.js';

/** How many of this process's descriptors refer to each socket (by inode). */
function socketDescriptors(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the directory's own descriptor, gone by now
    }
    if (target.startsWith('socket:')) counts.set(target, (counts.get(target) ?? 0) + 1);
  }
  return counts;
}

/**
 * Opens `count` connections while this process is busy, so their handshakes complete in the kernel
 * and the gateway finds them all waiting. Returns the open connections (closed after the test) and
 * how many the gateway accepted in each event-loop iteration.
 */
async function acceptBurst(
  t: { after: (fn: () => void) => void },
  port: number,
  count: number,
): Promise<{ perIteration: number[]; clients: Socket[] }> {
  const perIteration = new Map<number, number>();
  let iteration = 0;
  let accepted = 0;
  const onAccept = (): void => {
    perIteration.set(iteration, (perIteration.get(iteration) ?? 0) + 1);
    accepted += 1;
  };
  subscribe('net.server.socket', onAccept);
  const clients: Socket[] = [];
  t.after(() => {
    for (const client of clients) client.destroy();
  });
  for (let i = 0; i < count; i++) clients.push(connect(port, '127.0.0.1').on('error', () => {}));
  const busyUntil = Date.now() + 200;
  while (Date.now() < busyUntil);
  // One tick per iteration: an immediate scheduled by an immediate runs in the next iteration.
  let ticker = setImmediate(function tick() {
    iteration += 1;
    ticker = setImmediate(tick);
  });
  try {
    await waitFor(() => accepted === count, `${count} connections accepted`);
  } finally {
    clearImmediate(ticker);
    unsubscribe('net.server.socket', onAccept);
  }
  return { perIteration: [...perIteration.values()], clients };
}

test('with acceptBatch 4 the entrypoint accepts on four descriptors of its socket', async (t) => {
  const before = socketDescriptors();
  const { gateway } = await startGateway(t, undefined, { acceptBatch: 4 });
  assert.equal(gateway.acceptBatch, 4);
  const added = [...socketDescriptors()].filter(([inode, n]) => n > (before.get(inode) ?? 0));
  assert.deepEqual(
    added.map(([, n]) => n),
    [4],
    'one new socket, held by four descriptors',
  );
});

test('acceptBatch N accepts up to N waiting connections per event-loop iteration', async (t) => {
  const batched = await startGateway(t, undefined, { acceptBatch: 4 });
  const single = await startGateway(t, undefined, { acceptBatch: 1 });
  assert.equal(single.gateway.acceptBatch, 1);

  const { perIteration: batchedCounts } = await acceptBurst(t, batched.port, 16);
  const { perIteration: singleCounts } = await acceptBurst(t, single.port, 16);
  assert.equal(Math.max(...batchedCounts), 4, `accepts per iteration: ${batchedCounts.join(' ')}`);
  assert.ok(batchedCounts.length <= 8, `16 connections in ${batchedCounts.length} iterations`);
  assert.equal(Math.max(...singleCounts), 1, `accepts per iteration: ${singleCounts.join(' ')}`);
});

test('connections accepted on every descriptor are proxied, and close stops all of them', async (t) => {
  const web = await startServer(t, (_req, res) => res.end('ok'));
  const { gateway, port } = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
    { acceptBatch: 4 },
  );
  const answers = await Promise.all(
    Array.from({ length: 64 }, () => send(port, { headers: { connection: 'close' } })),
  );
  assert.deepEqual(new Set(answers.map((answer) => `${answer.status} ${answer.body}`)), new Set(['200 ok']));

  // Idle keep-alive connections accepted on several descriptors are closed by a graceful close.
  const { perIteration, clients } = await acceptBurst(t, port, 8);
  assert.ok(Math.max(...perIteration) > 1, `accepts per iteration: ${perIteration.join(' ')}`);
  const closed = clients.map((client) => new Promise((resolve) => client.on('close', resolve)));
  await Promise.all(
    clients.map((client) => {
      client.write('GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n');
      return readUntil(client, (received) => received.toString().endsWith('ok'));
    }),
  );
  await gateway.close(5_000);
  await Promise.all(closed);
  const refused = await new Promise<string | undefined>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
  assert.equal(refused, 'ECONNREFUSED', 'no descriptor of the socket is left accepting');
});

test('a helper that does not answer in time fails the copy and leaves no descriptor behind', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const before = socketDescriptors();
  await assert.rejects(
    copyListeningSockets([server], 3, 1),
    /copying the listening sockets failed: no answer within 1 ms/,
  );
  // Copies that arrive after the failure are closed on arrival; the killed helper's channel goes too.
  const same = (): boolean => JSON.stringify([...socketDescriptors()]) === JSON.stringify([...before]);
  await waitFor(same, 'the descriptors from before the copy, and no more');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(socketDescriptors(), before, 'still no stray descriptor');
});

test('copying a socket that is not listening fails clearly', async () => {
  const server = createServer();
  await assert.rejects(copyListeningSockets([server], 3), /a listener has no listening socket to copy/);
});
