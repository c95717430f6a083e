import { fork } from 'node:child_process';
import type { ListenOptions, Server } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * How an entrypoint gets further accepting sockets for `--accept-batch`:
 * - `reuse-port`: more sockets bound to the same address with `SO_REUSEPORT` (node's public
 *   `listen({ reusePort: true })`, Node 22.12 and later, 23.1 and later); the kernel spreads new
 *   connections among them.
 * - `descriptor-copies`: more descriptors of the one listening socket, made by a helper process
 *   (`copyListeningSockets`); they all accept from the same queue.
 */
export type AcceptSharing = 'reuse-port' | 'descriptor-copies';

/**
 * The sharing this node offers. Older nodes ignore an unknown `reusePort` option unseen, so the
 * version decides, not a try. Linux only: libuv refuses the flag where the kernel does not spread
 * connections over the sockets (macOS, for one), and there the descriptor copies still work.
 */
export function acceptSharing(version = process.versions.node, platform = process.platform): AcceptSharing {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const reusePort = major >= 24 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
  return reusePort && platform === 'linux' ? 'reuse-port' : 'descriptor-copies';
}

/**
 * `net.Server#listen` options for `address` with `SO_REUSEPORT` set. `@types/node` 20 does not know
 * the option; only call this where `acceptSharing()` is `reuse-port`.
 */
export function reusePortListenOptions(address: ListenOptions): ListenOptions {
  return { ...address, reusePort: true } as ListenOptions;
}

/** A further descriptor of a listening socket, as node's IPC delivers it; `net.Server#listen` takes it. */
export interface ListeningSocketCopy {
  close(): void;
}

const COPIER = fileURLToPath(new URL('./listening-socket-copier.js', import.meta.url));

/**
 * The raw listening handle of `server`: node's private `server._handle`, the one node internal this
 * module relies on, for nodes without `reusePort`. Checked at start-up (a libuv handle with a
 * descriptor), so a node that changes it fails here, naming it, not in the helper.
 */
function listeningHandle(server: Server): object {
  if (!server.listening) throw new Error('a listener has no listening socket to copy');
  const handle = (server as unknown as { _handle?: unknown })._handle;
  const fd = typeof handle === 'object' && handle !== null ? (handle as { fd?: unknown }).fd : undefined;
  if (typeof fd !== 'number' || fd < 0) {
    throw new Error(
      `node ${process.version} changed its private server._handle (no listening handle with a descriptor)`,
    );
  }
  return handle as object;
}

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
 * descriptor here, as node:cluster does for its workers). Sending the raw handle (`server._handle`),
 * not the `net.Server`, keeps the helper from ever listening on it, so it cannot accept a connection
 * itself. Where `acceptSharing()` is `reuse-port`, the public API does the same job instead.
 *
 * Resolves with the copies per server, in `servers` order; rejects (closing what arrived) when a
 * server does not listen, `server._handle` is not what it was, the helper fails or takes longer than
 * `timeoutMs`.
 */
export function copyListeningSockets(
  servers: readonly Server[],
  count: number,
  timeoutMs = 10_000,
): Promise<ListeningSocketCopy[][]> {
  let handles: object[];
  try {
    handles = servers.map(listeningHandle);
  } catch (err) {
    return Promise.reject(err);
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
