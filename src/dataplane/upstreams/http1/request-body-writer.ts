import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

const LAST_CHUNK = '0\r\n\r\n';

/**
 * Streams a request body onto an upstream socket with backpressure: the body pauses while the socket's
 * buffer is full. Without a known length it is sent chunked (node has already removed the client's own
 * chunk framing). `detach` stops it when the exchange ends first (early response, error, abort).
 */
export class RequestBodyWriter {
  readonly #body: Readable;
  readonly #socket: Socket;
  readonly #chunked: boolean;
  readonly #onDone: () => void;
  readonly #onFailure: (err: Error) => void;
  #detached = false;
  #awaitingDrain = false;

  constructor(
    body: Readable,
    socket: Socket,
    chunked: boolean,
    onDone: () => void,
    onFailure: (err: Error) => void,
  ) {
    this.#body = body;
    this.#socket = socket;
    this.#chunked = chunked;
    this.#onDone = onDone;
    this.#onFailure = onFailure;
    body.on('data', this.#onData);
    body.on('end', this.#onEnd);
    // Kept after `detach`: a body stream without an error listener would crash the process.
    body.on('error', this.#onError);
    // A body paused on purpose before (its start read and put back) does not flow by a listener alone.
    body.resume();
  }

  /** The body is still being sent and waits for the client's next bytes, not for the upstream to read. */
  get waitingForClient(): boolean {
    return !this.#detached && !this.#awaitingDrain;
  }

  detach(): void {
    this.#detached = true;
    const body = this.#body;
    body.off('data', this.#onData);
    body.off('end', this.#onEnd);
    this.#socket.off('drain', this.#onDrain);
    // Flowing again, so an unread rest of the body is consumed (and dropped) instead of stalling the client.
    body.resume();
  }

  readonly #onData = (chunk: Buffer): void => {
    const socket = this.#socket;
    let writable: boolean;
    if (this.#chunked) {
      if (chunk.length === 0) return;
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      writable = socket.write('\r\n', 'latin1');
      socket.uncork();
    } else {
      writable = socket.write(chunk);
    }
    if (!writable) {
      this.#awaitingDrain = true;
      this.#body.pause();
      socket.once('drain', this.#onDrain);
    }
  };

  readonly #onError = (err: Error): void => {
    if (!this.#detached) this.#onFailure(err);
  };

  readonly #onDrain = (): void => {
    this.#awaitingDrain = false;
    this.#body.resume();
  };

  readonly #onEnd = (): void => {
    this.detach();
    if (this.#chunked) this.#socket.write(LAST_CHUNK, 'latin1');
    this.#onDone();
  };
}
