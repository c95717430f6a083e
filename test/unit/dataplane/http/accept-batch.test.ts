import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import {
  acceptSharing,
  copyListeningSockets,
} from '../../../../src/dataplane/http/listening-socket-copies.js';
import { SwarmgateError } from '../../../../src/errors.js';
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

/** For each socket listening on `port` that this process holds: how many descriptors refer to it. */
function listeningDescriptors(port: number): number[] {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      // sl local_address rem_address st ... inode: the local port is hex after the colon, 0A is LISTEN.
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1], fields[3], fields[9]];
      if (state === '0A' && local !== undefined && Number.parseInt(local.split(':')[1] ?? '', 16) === port) {
        inodes.add(`socket:[${inode}]`);
      }
    }
  }
  return [...socketDescriptors()].filter(([target]) => inodes.has(target)).map(([, n]) => n);
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

test('the sharing follows the node: SO_REUSEPORT from Node 22.12 and 23.1 on Linux, descriptor copies before', () => {
  for (const version of ['20.18.1', '20.20.2', '22.11.0', '23.0.0']) {
    assert.equal(acceptSharing(version, 'linux'), 'descriptor-copies', version);
  }
  for (const version of ['22.12.0', '22.23.5', '23.1.0', '24.0.0', '24.22.3', '25.2.1']) {
    assert.equal(acceptSharing(version, 'linux'), 'reuse-port', version);
  }
  assert.equal(
    acceptSharing('24.22.3', 'darwin'),
    'descriptor-copies',
    'libuv refuses SO_REUSEPORT on macOS',
  );
});

test('with acceptBatch 4 the entrypoint accepts on four descriptors: four sockets on its port, or four of its socket', async (t) => {
  const { gateway, port } = await startGateway(t, undefined, { acceptBatch: 4 });
  assert.equal(gateway.acceptBatch, 4);
  const expected = acceptSharing() === 'reuse-port' ? [1, 1, 1, 1] : [4];
  assert.deepEqual(
    listeningDescriptors(port),
    expected,
    `descriptors per listening socket (${acceptSharing()})`,
  );
  const single = await startGateway(t, undefined, { acceptBatch: 1 });
  assert.deepEqual(listeningDescriptors(single.port), [1], 'acceptBatch 1: one socket, one descriptor');
});

test('acceptBatch N accepts up to N waiting connections per event-loop iteration', async (t) => {
  const batched = await startGateway(t, undefined, { acceptBatch: 4 });
  const single = await startGateway(t, undefined, { acceptBatch: 1 });
  assert.equal(single.gateway.acceptBatch, 1);

  // With SO_REUSEPORT the kernel hashes each connection to one of the four sockets, each with its own
  // queue: 64 connections leave none of the four empty (all but certainly), and the fullest one, which
  // sets the number of iterations, holds about 22.
  const { perIteration: batchedCounts } = await acceptBurst(t, batched.port, 64);
  const { perIteration: singleCounts } = await acceptBurst(t, single.port, 64);
  assert.equal(Math.max(...batchedCounts), 4, `accepts per iteration: ${batchedCounts.join(' ')}`);
  assert.ok(batchedCounts.length <= 32, `64 connections in ${batchedCounts.length} iterations`);
  assert.equal(Math.max(...singleCounts), 1, `accepts per iteration: ${singleCounts.join(' ')}`);
});

test('an address that a gateway with accept batches holds is in use for a second gateway', async (t) => {
  const first = await startGateway(t, undefined, { acceptBatch: 4 });
  // Four SO_REUSEPORT sockets would let another one join them: the second gateway must fail instead.
  await assert.rejects(
    startGateway(t, undefined, { acceptBatch: 4, http: [`127.0.0.1:${first.port}`] }),
    (err: unknown) =>
      err instanceof SwarmgateError && err.code === 'SG_ERR_CONFIG' && /EADDRINUSE/.test(err.message),
  );
  const answers = await Promise.all(Array.from({ length: 8 }, () => send(first.port)));
  assert.deepEqual(
    new Set(answers.map((answer) => answer.status)),
    new Set([503]),
    'the first gateway answers all (no table yet: 503)',
  );
});

test('an entrypoint listed twice fails the second time, with accept batches too', async (t) => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  await assert.rejects(
    startGateway(t, undefined, { acceptBatch: 4, http: [`127.0.0.1:${port}`, `127.0.0.1:${port}`] }),
    (err: unknown) =>
      err instanceof SwarmgateError &&
      err.code === 'SG_ERR_CONFIG' &&
      err.message.startsWith(`the HTTP entrypoint cannot listen on 127.0.0.1:${port}: `) &&
      /EADDRINUSE/.test(err.message),
  );
  const refused = await new Promise<string | undefined>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
  assert.equal(refused, 'ECONNREFUSED', 'the first entrypoint was closed again');
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

test('a node whose private server._handle is not a listening handle fails the copy, naming it', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  // A listening server as a node that renamed or reshaped the field would show it: its public API
  // still works (node's own getters would follow the change), the private field does not.
  for (const handle of [undefined, {}, { fd: -1 }]) {
    const changed = Object.create(server, {
      _handle: { value: handle },
      listening: { value: true },
    }) as Server;
    await assert.rejects(
      copyListeningSockets([changed], 3),
      /node v[\d.]+ changed its private server\._handle \(no listening handle with a descriptor\)/,
    );
  }
});
