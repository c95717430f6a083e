import { createServer, type RequestListener, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';

interface AfterHook {
  after: (fn: () => Promise<void> | void) => void;
}

/** A real HTTP server on 127.0.0.1 (port 0 unless given), closed after the test. */
export async function startServer(
  t: AfterHook,
  handler: RequestListener,
  port = 0,
): Promise<Server & { port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}

/** A loopback port nothing listens on (a server was bound there and closed), so connects are refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls until `condition` holds; fails the test after `timeoutMs` (a liveness bound, not a timing check). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * A raw TCP upstream in a worker thread. It accepts connections and reads requests, answering none but
 * those for `/partial` (with `partial`, if given: e.g. a response head and part of a body), until
 * `freeze` blocks the thread: nothing is accepted or answered any more, as when the upstream's host is
 * powered off or cut off. The backlog is 1 (node turns 0 into its default of 511).
 */
const FREEZABLE_UPSTREAM = `
const { parentPort, workerData } = require('node:worker_threads');
const server = require('node:net').createServer((socket) => {
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    if (workerData.partial && chunk.includes(' /partial ')) socket.write(workerData.partial);
    parentPort.postMessage('request');
  });
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => parentPort.postMessage(server.address().port));
parentPort.on('message', () => {
  parentPort.postMessage('frozen');
  Atomics.wait(workerData.release, 0, 0);
  server.close();
});
`;

/** A loopback upstream that can stop answering for good (see {@link freezableUpstream}). */
export interface FreezableUpstream {
  port: number;
  /** Requests read so far (until frozen). */
  readonly requests: number;
  /**
   * Blocks the upstream and fills its accept queue: Linux then drops further SYNs (`tcp_conn_request`),
   * so a connect there is neither accepted nor refused, and only a timeout ends it. The queue is filled
   * with raw connections until one of them hangs, which proves the state before the test goes on.
   */
  freeze(): Promise<void>;
}

/** Starts a {@link FreezableUpstream}; the thread and its connections are released after the test. */
export async function freezableUpstream(t: AfterHook, partial?: string): Promise<FreezableUpstream> {
  const release = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(FREEZABLE_UPSTREAM, { eval: true, workerData: { release, partial } });
  const fillers: Socket[] = [];
  t.after(async () => {
    for (const socket of fillers) socket.destroy();
    Atomics.store(release, 0, 1);
    Atomics.notify(release, 0);
    await worker.terminate();
  });
  let requests = 0;
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  worker.on('message', (message) => {
    if (message === 'request') requests += 1;
  });
  return {
    port,
    get requests() {
      return requests;
    },
    async freeze() {
      const frozen = new Promise<void>((resolve) => {
        worker.on('message', (message) => message === 'frozen' && resolve());
      });
      worker.postMessage('freeze');
      await frozen;
      for (let i = 0; i < 8; i++) {
        if (!(await connectsWithin(port, 250, fillers))) return;
      }
      throw new Error(`the accept queue of port ${port} never filled up`);
    },
  };
}

/** Connects to `port`; false when no connect came within `limitMs` (the socket is then destroyed). */
function connectsWithin(port: number, limitMs: number, sockets: Socket[]): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, limitMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
