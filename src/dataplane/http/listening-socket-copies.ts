import { fork } from 'node:child_process';
import type { Server } from 'node:net';
import { fileURLToPath } from 'node:url';

/** A further descriptor of a listening socket, as node's IPC delivers it; `net.Server#listen` takes it. */
export interface ListeningSocketCopy {
  close(): void;
}

const COPIER = fileURLToPath(new URL('./listening-socket-copier.js', import.meta.url));

/**
 * Gives this process `count` more descriptors of each listening socket in `servers`.
 *
 * Why: since libuv 1.45 (Node 20) a listening descriptor yields one accepted connection per event-loop
 * iteration. Under load an iteration lasts as long as it takes to serve every busy connection once, so
 * new connections queue for many iterations, and a process fed one new connection per iteration does
 * all of its per-iteration work (poll, timers, the end-of-turn flush, one wakeup of each peer) for
 * every single request. Each further descriptor of the same socket adds one accept per iteration.
 * Node 20 cannot duplicate a descriptor or set `SO_REUSEPORT` through its API, so a short-lived helper
 * process receives each socket over IPC and sends it back `count` times (each transfer is a new
 * descriptor here, as node:cluster does for its workers). Sending the raw handle, not the `net.Server`,
 * keeps the helper from ever listening on it, so it cannot accept a connection itself. The raw handle
 * is node's `server._handle`, the one private field this relies on; without it this throws and the
 * caller keeps the one descriptor.
 *
 * Resolves with the copies per server, in `servers` order; rejects (closing what arrived) when the
 * helper fails or takes longer than `timeoutMs`.
 */
export function copyListeningSockets(
  servers: readonly Server[],
  count: number,
  timeoutMs = 10_000,
): Promise<ListeningSocketCopy[][]> {
  const handles = servers.map((server) => (server as unknown as { _handle?: unknown })._handle);
  if (handles.some((handle) => typeof handle !== 'object' || handle === null)) {
    return Promise.reject(new Error('a listener has no listening socket to copy'));
  }
  const copies: ListeningSocketCopy[][] = servers.map(() => []);
  const expected = servers.length * count;
  if (expected <= 0) return Promise.resolve(copies);
  let received = 0;
  let settled = false;
  return new Promise((resolve, reject) => {
    const helper = fork(COPIER, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      helper.kill();
      for (const list of copies) for (const copy of list) copy.close();
      reject(new Error(`copying the listening sockets failed: ${reason}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    helper.on('error', (err) => fail(err.message));
    helper.on('exit', (code, signal) => fail(`helper exited (${signal ?? `code ${code}`})`));
    helper.on('message', (message: unknown, handle: unknown) => {
      const index = (message as { copy?: unknown }).copy;
      const list = typeof index === 'number' ? copies[index] : undefined;
      if (list === undefined || typeof handle !== 'object' || handle === null) return;
      if (settled) {
        (handle as ListeningSocketCopy).close();
        return;
      }
      list.push(handle as ListeningSocketCopy);
      received += 1;
      if (received < expected) return;
      settled = true;
      clearTimeout(timer);
      helper.disconnect();
      resolve(copies);
    });
    for (const [index, handle] of handles.entries()) helper.send({ index, count }, handle as never);
  });
}
