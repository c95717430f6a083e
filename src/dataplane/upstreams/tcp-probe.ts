import { connect } from 'node:net';

/**
 * Opens one TCP connection to `host:port` and closes it at once. Resolves to `undefined` when it
 * connected, else to why not (`timeout`, or the error code such as `ECONNREFUSED`); never rejects.
 * The socket and timer are unref'd, so a probe never keeps the process alive.
 *
 * @example
 * const failure = await tcpProbe('10.0.1.5', 8080, 3_000, abort.signal); // undefined: it answered
 */
export function tcpProbe(
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, signal });
    const timer = setTimeout(() => finish('timeout'), timeoutMs).unref();
    function finish(failure: string | undefined): void {
      clearTimeout(timer);
      socket.destroy();
      resolve(failure);
    }
    socket.unref();
    socket.once('connect', () => finish(undefined));
    // `on`, not `once`: an error after finish() must still find a listener.
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? 'error'));
  });
}
