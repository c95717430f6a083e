import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Node's internals this relies on: the response a socket is writing, and whether it closes the connection. */
type SocketWithMessage = Socket & { _httpMessage?: ServerResponse | null };
type ClosingResponse = ServerResponse & { _last?: boolean };

/**
 * Pipelined requests (RFC 9112 §9.3.2) run one at a time, in order, as nginx and HAProxy run them.
 * Node hands every request of a pipeline over at once, queueing the responses; a request queued behind
 * a response that closes the connection (a refusal, `Connection: close`, a close-delimited HTTP/1.0
 * answer) would still reach the upstream although its client never gets an answer, and RFC 9112 §9.6
 * forbids processing it. So a request that arrives while an earlier response on its connection is under
 * way starts once that response is done, and is dropped, unprocessed, when that response closed the
 * connection or the client left first (the client resends it, §9.3.2).
 *
 * @example
 * pipeline.whenReady(req, res, () => exchange.start(), () => log('dropped'));
 */
export class PipelineOrder {
  /** The last response queued on each connection, which the next pipelined request waits for. */
  readonly #tail = new WeakMap<Socket, ServerResponse>();

  /** Calls `start` now when `res` is first in line (node gave it the socket), else when its turn comes. */
  whenReady(req: IncomingMessage, res: ServerResponse, start: () => void, drop: () => void): void {
    if (res.socket !== null) {
      start();
      return;
    }
    const socket = req.socket as SocketWithMessage;
    const queued = this.#tail.get(socket);
    const ahead = queued !== undefined && !queued.destroyed ? queued : socket._httpMessage;
    this.#tail.set(socket, res);
    if (ahead === null || ahead === undefined || ahead.destroyed) {
      this.#decide(socket, ahead, start, drop);
      return;
    }
    // A queued response never gets `close` when the connection dies first; the socket's `close` does.
    const onAheadClose = (): void => {
      socket.off('close', onSocketClose);
      this.#decide(socket, ahead, start, drop);
    };
    const onSocketClose = (): void => {
      ahead.off('close', onAheadClose);
      drop();
    };
    ahead.once('close', onAheadClose);
    socket.once('close', onSocketClose);
  }

  /** After the response ahead: dropped if it closed the connection or was cut, else started. */
  #decide(
    socket: Socket,
    ahead: ClosingResponse | null | undefined,
    start: () => void,
    drop: () => void,
  ): void {
    const closed = ahead !== null && ahead !== undefined && (ahead._last === true || !ahead.writableFinished);
    if (socket.destroyed || closed) drop();
    else start();
  }
}
