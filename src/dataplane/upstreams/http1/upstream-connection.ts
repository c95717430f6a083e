import { connect, type Socket } from 'node:net';
import { endOfTurnWrites } from '../../end-of-turn-writes.js';
import type { UpstreamRequest, UpstreamResponseHandler } from './exchange-handler.js';
import { RequestBodyWriter } from './request-body-writer.js';
import { serializeRequestHead } from './request-head-serializer.js';
import { ResponseParser, type ResponseParserHandler } from './response-parser.js';
import { UpstreamError } from './upstream-error.js';

/** Timeouts and limits of one upstream connection. */
export interface ConnectionSettings {
  connectTimeoutMs: number;
  /**
   * Inactivity limit while an exchange runs: waiting for the response head, or between body bytes. The
   * final response head is also due within this long of the request having gone out in full, interim
   * (1xx) responses or a head spread over many reads notwithstanding.
   */
  timeoutMs: number;
  maxResponseHeadBytes: number;
}

/** The pool as a connection reports to it. */
export interface ConnectionOwner {
  /** The exchange completed and the connection may carry another request. */
  release(connection: UpstreamConnection): void;
  /** The socket closed; the connection is gone for good. */
  removed(connection: UpstreamConnection): void;
  /** The connection, reused, turned out closed by the upstream: idle ones as old are likely closed too. */
  stale(connection: UpstreamConnection): void;
}

const CHUNKED = 'transfer-encoding: chunked\r\n';
/**
 * How soon after the request went out a reused connection's close still counts as stale: an upstream
 * closing it as idle shows within a round trip; a later close is the upstream failing the request.
 */
const STALE_WINDOW_MS = 250;
const HEAD_DEADLINE_PASSED = 'no final response head within the upstream timeout';

/**
 * One keep-alive HTTP/1.1 connection to an upstream, carrying one exchange at a time (no pipelining).
 * The socket's idle timeout is set once per phase of the connection, not per request: while connecting
 * it is the connect timeout, then the upstream inactivity timeout (cut to the final head's deadline
 * while that head is awaited across reads); idle expiry is the pool's job.
 * A connection is reused only when the response said so, the whole request went out and no stray byte
 * followed the response; anything else destroys it. A reused connection that closes before any byte of
 * the response fails with `SG_UPSTREAM_STALE_CONNECTION`: the upstream most likely closed it as idle.
 */
export class UpstreamConnection implements ResponseParserHandler {
  readonly #owner: ConnectionOwner;
  readonly #socket: Socket;
  readonly #settings: ConnectionSettings;
  readonly #parser: ResponseParser;
  #connected = false;
  #handler: UpstreamResponseHandler | undefined;
  /** A request waiting for the connect. */
  #pending: UpstreamRequest | undefined;
  #bodyWriter: RequestBodyWriter | undefined;
  #requestSent = false;
  /** Exchanges started on this connection, the current one included. */
  #exchanges = 0;
  /** When the current request went onto the socket (performance clock). */
  #sentAt = 0;
  /** When its last byte did (performance clock): the final response head is due `timeoutMs` later. */
  #requestSentAt = 0;
  /** The socket's timeout is cut short to that deadline (it was given more than one read to arrive). */
  #headDeadlineSet = false;
  #paused = false;
  /**
   * The last body piece of the current socket read, held back until the read is parsed: a response
   * that ends in the same read is passed on with `onComplete(last)`, one client write instead of two calls.
   */
  #held: Buffer | undefined;
  #socketError: Error | undefined;
  /** When the connection last became idle (pool clock). */
  idleSince = 0;
  /** How long the connection may stay idle: the pool's limit, shortened by the upstream's Keep-Alive hint. */
  keepAliveMs = 0;

  constructor(owner: ConnectionOwner, host: string, port: number, settings: ConnectionSettings) {
    this.#owner = owner;
    this.#settings = settings;
    this.#parser = new ResponseParser(this, settings.maxResponseHeadBytes);
    const socket = connect({ host, port, noDelay: true });
    this.#socket = socket;
    socket.setTimeout(settings.connectTimeoutMs);
    socket.on('connect', this.#onConnect);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  /** The socket is destroyed (or being): the connection can take no request. */
  get destroyed(): boolean {
    return this.#socket.destroyed;
  }

  /** Runs one exchange; the connection must be idle (or new). */
  start(request: UpstreamRequest, handler: UpstreamResponseHandler): void {
    this.#handler = handler;
    this.#requestSent = false;
    this.#exchanges += 1;
    this.#parser.reset(request.method === 'HEAD');
    if (this.#connected) this.#send(request);
    else this.#pending = request;
  }

  /** An exchange runs and no byte of its response has come yet. */
  get unanswered(): boolean {
    return this.#handler !== undefined && !this.#parser.started;
  }

  /**
   * Ends the running exchange with `err` when no byte of its response has come yet (connecting, sending,
   * or waiting for the head); returns whether it did. An exchange whose response began is left alone.
   */
  failUnanswered(err: Error): boolean {
    if (!this.unanswered) return false;
    this.#fail(err);
    return true;
  }

  /** Closes an idle connection. */
  destroy(): void {
    this.#socket.destroy();
  }

  #send(request: UpstreamRequest): void {
    const handler = this.#handler!;
    this.#sentAt = performance.now();
    handler.onConnect(this.#abort);
    // `onConnect` may abort at once (the client is already gone).
    if (this.#handler !== handler) return;
    const socket = this.#socket;
    const body = request.body;
    const chunked = body !== null && request.contentLength < 0;
    const head = serializeRequestHead(request.method, request.path, request.headers, chunked ? CHUNKED : '');
    endOfTurnWrites.cork(socket);
    socket.write(head, 'latin1');
    if (body === null || Buffer.isBuffer(body)) {
      // A body read whole beforehand goes out with the head, in the same corked write.
      if (body !== null && body.length > 0) socket.write(body);
      this.#requestSent = true;
      this.#requestSentAt = this.#sentAt;
      return;
    }
    this.#bodyWriter = new RequestBodyWriter(body, socket, chunked, this.#onBodySent, this.#abort);
  }

  // ResponseParserHandler: called synchronously from `execute`/`finish`.
  onResponseHead(status: number, statusText: string, headers: string[]): void {
    if (this.#headDeadlineSet) {
      this.#headDeadlineSet = false;
      this.#socket.setTimeout(this.#settings.timeoutMs);
    }
    this.#handler!.onHeaders(status, headers, this.#resume, statusText);
  }

  onInterimResponse(status: number, _statusText: string, headers: string[]): void {
    this.#handler?.onInterim?.(status, headers);
  }

  onResponseData(chunk: Buffer): void {
    const held = this.#held;
    this.#held = chunk;
    if (held !== undefined) this.#deliver(held);
  }

  onResponseEnd(): void {}

  #deliver(chunk: Buffer): void {
    const handler = this.#handler;
    if (handler === undefined || handler.onData(chunk) || this.#paused) return;
    // The rest of the chunk at hand still reaches the handler: at most one socket read of extra buffering.
    this.#paused = true;
    this.#socket.pause();
  }

  /** Passes on the piece held back from this read: the response goes on in a later one. */
  #flushHeld(): void {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    this.#deliver(held);
  }

  #complete(reusable: boolean): void {
    const handler = this.#handler!;
    const last = this.#held;
    this.#handler = undefined;
    this.#held = undefined;
    this.#detachBody();
    if (this.#paused) {
      this.#paused = false;
      this.#socket.resume();
    }
    handler.onComplete(last);
    const parser = this.#parser;
    if (reusable && parser.keepAlive && this.#requestSent) {
      const hint = parser.keepAliveHintMs;
      // Leave a second of margin so the upstream does not close it while a request is on its way.
      this.keepAliveMs = hint === undefined ? Number.POSITIVE_INFINITY : hint - 1_000;
      if (this.keepAliveMs > 0) {
        this.#owner.release(this);
        return;
      }
    }
    this.#socket.destroy();
  }

  #fail(err: Error): void {
    const handler = this.#handler;
    this.#socket.destroy();
    if (handler === undefined) return;
    this.#handler = undefined;
    this.#pending = undefined;
    this.#held = undefined;
    this.#detachBody();
    handler.onError(err, this.#parser.started);
  }

  #detachBody(): void {
    this.#bodyWriter?.detach();
    this.#bodyWriter = undefined;
  }

  readonly #abort = (reason: Error): void => {
    if (this.#handler !== undefined) this.#fail(reason);
  };

  readonly #resume = (): void => {
    if (!this.#paused) return;
    this.#paused = false;
    this.#socket.resume();
  };

  readonly #onBodySent = (): void => {
    this.#bodyWriter = undefined;
    this.#requestSent = true;
    this.#requestSentAt = performance.now();
    // Interim responses came during the upload: the deadline on the final head starts now.
    if (this.#parser.started && this.#parser.awaitingHead) this.#holdHeadDeadline();
  };

  /**
   * The final head is still awaited after a read (interim responses, or a head spread over reads). Each
   * read would restart the socket's inactivity timeout, so it is set to what is left until the head's
   * deadline instead (only on this path: a head that comes in one read costs no timer work). False
   * when the deadline has passed and the exchange failed.
   */
  #holdHeadDeadline(): boolean {
    const left = this.#requestSentAt + this.#settings.timeoutMs - performance.now();
    if (left < 1) {
      this.#fail(new UpstreamError('SG_UPSTREAM_RESPONSE_TIMEOUT', HEAD_DEADLINE_PASSED));
      return false;
    }
    this.#headDeadlineSet = true;
    this.#socket.setTimeout(Math.ceil(left));
    return true;
  }

  readonly #onConnect = (): void => {
    this.#connected = true;
    this.#socket.setTimeout(this.#settings.timeoutMs);
    const pending = this.#pending;
    if (pending === undefined) return;
    this.#pending = undefined;
    this.#send(pending);
  };

  readonly #onData = (chunk: Buffer): void => {
    if (this.#handler === undefined) {
      // Bytes nobody asked for: the connection is out of step with the upstream.
      this.#socket.destroy();
      return;
    }
    const result = this.#parser.execute(chunk);
    // The handler may have aborted from a callback inside `execute`.
    if (this.#handler === undefined) return;
    if (result === 'more') {
      if (this.#requestSent && this.#parser.awaitingHead && !this.#holdHeadDeadline()) return;
      this.#flushHeld();
    } else if (result === 'done') this.#complete(this.#parser.leftover === 0);
    else this.#fail(result);
  };

  readonly #onEnd = (): void => {
    if (this.#handler === undefined) {
      this.#socket.destroy();
      return;
    }
    const result = this.#parser.finish();
    if (this.#handler === undefined) return;
    if (result === 'done') this.#complete(false);
    else if (result === 'idle') this.#failClosed('the upstream closed the connection before answering');
    // EOF inside a response (finish's only error here) is the upstream going away, not bad HTTP.
    else this.#failClosed('the upstream closed the connection mid-response');
  };

  readonly #onTimeout = (): void => {
    if (!this.#connected) {
      this.#fail(new UpstreamError('SG_UPSTREAM_CONNECT_TIMEOUT', 'connect timed out'));
    } else if (this.#handler !== undefined) {
      this.#fail(this.#idleError());
    } else {
      this.#socket.destroy();
    }
  };

  /** Why a running exchange went quiet: the client when it holds things up, else the upstream. */
  #idleError(): UpstreamError {
    if (this.#paused) {
      return new UpstreamError('SG_UPSTREAM_STALLED_BY_CLIENT', 'the client stopped reading the response');
    }
    if (this.#bodyWriter?.waitingForClient) {
      return new UpstreamError(
        'SG_UPSTREAM_STALLED_BY_CLIENT',
        'the client stopped sending the request body',
      );
    }
    const message = this.#headDeadlineSet ? HEAD_DEADLINE_PASSED : 'the upstream stopped answering';
    return new UpstreamError('SG_UPSTREAM_RESPONSE_TIMEOUT', message);
  }

  readonly #onError = (err: Error): void => {
    this.#socketError ??= err;
  };

  readonly #onClose = (): void => {
    if (this.#handler !== undefined) this.#failClosed('the upstream closed the connection mid-response');
    this.#owner.removed(this);
  };

  /** The socket ended or closed with an exchange running: stale when reused and nothing came back in time. */
  #failClosed(message: string): void {
    const cause = this.#socketError;
    const stale =
      this.#exchanges > 1 &&
      this.#connected &&
      !this.#parser.started &&
      performance.now() - this.#sentAt < STALE_WINDOW_MS;
    if (stale) {
      this.#owner.stale(this);
      this.#fail(
        new UpstreamError('SG_UPSTREAM_STALE_CONNECTION', 'the upstream closed a reused idle connection', {
          cause,
        }),
      );
      return;
    }
    this.#fail(cause ?? new UpstreamError('SG_UPSTREAM_CLOSED', message));
  }
}
