import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Selection } from '../compiled-table.js';
import { endOfTurnWrites, type PendingHead } from '../end-of-turn-writes.js';
import type { UpstreamRequest, UpstreamResponseHandler } from '../upstreams/http1/exchange-handler.js';
import { ClientBody, type ClientBodyOwner } from './client-body.js';
import { rawReplyInstead } from './client-errors.js';
import type { Entrypoint } from './entrypoint.js';
import { type HttpErrorCode, sendError } from './error-responses.js';
import { ExchangeRecord } from './exchange-record.js';
import type { ExchangeHost, ExchangeSettings } from './exchange-settings.js';
import { earlyHintsHead, responseHeaders, UNSUPPORTED_CODING } from './response-head.js';
import type { ExchangePhase } from './upstream-errors.js';

/**
 * What the client waits for before it sends its body, as node's server read `Expect`: `continue` for
 * `100-continue` from an HTTP/1.1 client, `unsupported` for any other expectation, which the gateway
 * cannot meet (RFC 9110 §10.1.1: 417). Node ignores `Expect` from HTTP/1.0 clients, as §10.1.1 asks,
 * so they never get a 1xx.
 */
export type Expectation = 'none' | 'continue' | 'unsupported';

/**
 * One client request proxied to an upstream, and the upstream client's handler for it: one object per
 * request, no per-request closures on the data path. A small request body is read whole before an
 * upstream connection is taken, a larger one streams (see `ClientBody`); responses stream with
 * backpressure (`onData` pauses the upstream while the client is slow). Retries on another upstream
 * when that is safe, and answers with an `SG_ERR_*` error otherwise.
 *
 * @example
 * new ProxyExchange(req, res, settings, gateway, entrypoint).start('none');
 */
export class ProxyExchange implements UpstreamResponseHandler, PendingHead, ClientBodyOwner {
  readonly #res: ServerResponse;
  readonly #settings: ExchangeSettings;
  readonly #host: ExchangeHost;
  readonly #entrypoint: Entrypoint;
  readonly #record: ExchangeRecord;
  #request!: UpstreamRequest;
  /** The request's body, when it has one. */
  #body: ClientBody | undefined;
  /** The first upstream, kept while the body is read. */
  #selection: Selection | undefined;
  #phase: ExchangePhase = 'connect';
  /** The upstream request started and has not completed or failed yet. */
  #active = false;
  #abort: ((reason: Error) => void) | undefined;
  #bodyError: Error | undefined;
  #resume: (() => void) | undefined;
  #awaitingDrain = false;
  #clientGone = false;
  /** The gateway cut the response itself (the upstream failed mid-body): not the client's doing. */
  #cut = false;
  #ended = false;
  /**
   * The upstream's response head, held until a body piece, the end or the end of the turn needs it:
   * until then nothing is on the client's wire, and a failure can still be answered with a 502.
   */
  #headHeld: string[] | undefined;
  #status = 0;
  #statusText = '';
  /** `103 Early Hints` passed on to the client so far. */
  #earlyHints = 0;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    settings: ExchangeSettings,
    host: ExchangeHost,
    entrypoint: Entrypoint,
  ) {
    this.#res = res;
    this.#settings = settings;
    this.#host = host;
    this.#entrypoint = entrypoint;
    this.#record = new ExchangeRecord(req, settings, 'request');
  }

  /**
   * Routes the request and dispatches it; errors are answered here, never thrown. A client that
   * expects `100 Continue` gets it only once an upstream is chosen (and its upload admitted), so a
   * refused request never uploads; a body that fits the request buffer is then read before it goes.
   */
  start(expectation: Expectation): void {
    const res = this.#res;
    const record = this.#record;
    this.#host.exchangeStarted();
    res.on('close', this.#onClose);
    if (expectation === 'unsupported') {
      this.#fail('SG_ERR_EXPECTATION_FAILED', 'expectation other than 100-continue');
      return;
    }
    const opening = record.open(this.#host.table, this.#entrypoint);
    if (opening.action === 'refuse') {
      this.#fail(opening.code, opening.message);
      return;
    }
    if (opening.action === 'redirect') {
      this.#redirect(opening.location);
      return;
    }
    const head = record.head;
    let body: ClientBody | undefined;
    if (head.hasBody) {
      body = new ClientBody(record, this.#settings, this);
      if (!body.admit()) {
        this.#fail('SG_ERR_TOO_MANY_UPLOADS', 'too many uploads streaming from this client');
        return;
      }
    }
    if (expectation === 'continue') res.writeContinue();
    this.#request = {
      method: record.req.method!,
      path: record.forwardPath,
      headers: head.headers,
      body: null,
      contentLength: head.contentLength,
    };
    if (body === undefined) {
      this.#send(opening.selection);
      return;
    }
    this.#body = body;
    this.#selection = opening.selection;
    body.read();
  }

  bodyReady(body: Buffer | Readable, contentLength: number): void {
    const request = this.#request;
    request.body = body;
    request.contentLength = contentLength;
    const selection = this.#selection!;
    this.#selection = undefined;
    this.#send(selection);
  }

  bodyRefused(code: HttpErrorCode, message: string): void {
    this.#fail(code, message);
  }

  /** The limit may trip, or the client stall, before the request is on a connection: kept for `onConnect`. */
  bodyFailed(err: Error): void {
    this.#bodyError = err;
    if (this.#active && this.#abort !== undefined) this.#abort(err);
  }

  onConnect(abort: (reason: Error) => void): void {
    this.#abort = abort;
    this.#phase = 'awaiting-response';
    if (this.#clientGone) abort(CLIENT_GONE);
    else if (this.#bodyError !== undefined) abort(this.#bodyError);
  }

  /**
   * Passes a `103 Early Hints` on to an HTTP/1.1 client, at most `MAX_EARLY_HINTS` of them and only
   * while the client reads (hints are optional: dropping one is always safe). An HTTP/1.0 client knows
   * no 1xx (RFC 9110 §15.2); other 1xx end here (the gateway answers `100-continue` itself).
   * `writeEarlyHints` does not fit: it drops a 103 without `Link` and refuses valid `Link` values (a
   * list of links in one field line, a quoted parameter with a space).
   */
  onInterim(status: number, rawHeaders: string[]): void {
    if (status !== 103 || this.#earlyHints >= MAX_EARLY_HINTS) return;
    const res = this.#res;
    // Node gives a response its socket only once it is first in line on the connection, and this
    // one's head is held until the final head: a 1xx written to the socket now goes right before it.
    const socket = res.socket;
    if (this.#record.req.httpVersionMinor === 0 || res.headersSent || socket === null) return;
    if (!socket.writable || socket.writableNeedDrain) return;
    const head = earlyHintsHead(rawHeaders);
    if (head === undefined) return;
    this.#earlyHints++;
    socket.write(head, 'latin1');
  }

  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void, statusText: string): void {
    this.#resume = resume;
    const headers = responseHeaders(rawHeaders, this.#record.setCookie, statusCode);
    if (headers === undefined) {
      this.#abort!(UNSUPPORTED_CODING);
      return;
    }
    this.#record.upstream!.reportSuccess();
    if (this.#lastOnConnection()) headers.push('connection', 'close');
    this.#headHeld = headers;
    this.#status = statusCode;
    this.#statusText = statusText;
    this.#phase = 'streaming-response';
    endOfTurnWrites.head(this);
  }

  /** At the end of the turn that brought the head: sends it alone if no body byte came with it. */
  flushHead(): void {
    if (this.#headHeld === undefined || this.#res.destroyed) return;
    const refused = this.#writeHead();
    if (refused === undefined) this.#res.flushHeaders();
    else this.#abort?.(refused);
  }

  onData(chunk: Buffer): boolean {
    if (this.#headHeld !== undefined) {
      const refused = this.#writeHead();
      if (refused !== undefined) {
        this.#abort!(refused);
        return false;
      }
    }
    if (this.#res.write(chunk)) return true;
    if (!this.#awaitingDrain) {
      this.#awaitingDrain = true;
      this.#res.once('drain', this.#onDrain);
    }
    return false;
  }

  onComplete(last: Buffer | undefined): void {
    const refused = this.#headHeld === undefined ? undefined : this.#writeHead();
    if (refused !== undefined) {
      this.onError(refused, true);
      return;
    }
    this.#resume = undefined;
    this.#finishUpstream();
    endOfTurnWrites.end(this.#res, last);
  }

  onError(err: Error, responseStarted: boolean): void {
    this.#resume = undefined;
    this.#finishUpstream();
    const record = this.#record;
    if (this.#clientGone || this.#res.destroyed) {
      record.errorCode ??= 'SG_ERR_CLIENT_ABORTED';
      return;
    }
    const kind = record.upstreamFailed(err, this.#phase);
    if (this.#phase === 'streaming-response') {
      // The upstream has answered: never resent. A head still held can give way to a 502.
      this.#headHeld = undefined;
      if (!this.#res.headersSent) {
        record.failed(kind.code, err, 'upstream request failed');
        sendError(this.#res, kind.code, this.#closeAfterError());
        return;
      }
      record.failed(
        kind.code,
        err,
        'upstream failed while streaming the response; closing the client connection',
      );
      this.#cut = true;
      this.#res.destroy();
      return;
    }
    // RFC-wise a reset is only safe to retry if not a byte of the answer came back.
    const next = record.retry(kind, err, !responseStarted && this.#bodylessIdempotent(), this.#host.table);
    if (next !== undefined) {
      this.#send(next, kind.connectionOnly);
      return;
    }
    sendError(this.#res, kind.code, this.#closeAfterError());
  }

  /** Writes the held head on the client response; the error when node refuses it (e.g. a control character in a value). */
  #writeHead(): Error | undefined {
    const headers = this.#headHeld!;
    this.#headHeld = undefined;
    try {
      this.#res.writeHead(this.#status, this.#statusText || undefined, headers);
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }

  /** Dispatches to `selection`'s upstream; `fresh` on a new connection (a resend after a stale one). */
  #send(selection: Selection, fresh = false): void {
    this.#phase = 'connect';
    // The previous attempt's connection may already carry another exchange.
    this.#abort = undefined;
    this.#active = true;
    this.#record.attempt(selection).pool.dispatch(this.#request, this, fresh);
  }

  #bodylessIdempotent(): boolean {
    const method = this.#record.req.method;
    return !this.#record.head.hasBody && (method === 'GET' || method === 'HEAD' || method === 'OPTIONS');
  }

  #finishUpstream(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#abort = undefined;
    this.#record.upstream!.requestFinished();
  }

  #fail(code: HttpErrorCode, message: string): void {
    this.#record.refused(code, message);
    sendError(this.#res, code, this.#closeAfterError(code));
  }

  /**
   * After an error, keep the connection only if nothing of a request body is left in doubt and the
   * client spoke proper HTTP. A bodyless request is whole once its head is (node marks it complete only
   * after the `request` event, where the refusals are sent), so a 404 or 503 keeps its keep-alive.
   */
  #closeAfterError(code?: HttpErrorCode): boolean {
    return code === 'SG_ERR_BAD_REQUEST' || this.#lastOnConnection() || this.#record.head.hasBody;
  }

  /**
   * The client connection closes after this response: the gateway is shutting down, or the request
   * came in HTTP/1.0 with Transfer-Encoding, a framing RFC 9112 §6.1 says to treat as faulty.
   */
  #lastOnConnection(): boolean {
    const record = this.#record;
    return this.#host.closing || (record.req.httpVersionMinor === 0 && record.head.transferEncoding !== '');
  }

  #redirect(location: string): void {
    const headers = ['location', location, 'content-length', '0'];
    if (this.#lastOnConnection()) headers.push('connection', 'close');
    this.#res.writeHead(308, headers);
    this.#res.end();
  }

  readonly #onDrain = (): void => {
    this.#awaitingDrain = false;
    this.#resume?.();
  };

  readonly #onClose = (): void => {
    if (this.#ended) return;
    this.#ended = true;
    this.#body?.close();
    const res = this.#res;
    const record = this.#record;
    let status = res.statusCode;
    if (!res.writableFinished && !this.#cut) {
      this.#clientGone = true;
      // The client got a raw error in this response's place (a body cut by the request timeout: 408).
      const instead = rawReplyInstead(res);
      status = instead?.status ?? 0;
      record.errorCode ??=
        instead?.code ?? (this.#host.graceExpired ? 'SG_ERR_SHUTDOWN_CUT' : 'SG_ERR_CLIENT_ABORTED');
      if (this.#active && this.#abort !== undefined) this.#abort(CLIENT_GONE);
    }
    this.#host.exchangeEnded();
    record.publishEnd(status);
  };
}

/** How many `103 Early Hints` one response may bring the client: a handful says all a page needs. */
const MAX_EARLY_HINTS = 4;

/** The reason the upstream exchange is aborted with when the client went away mid-exchange. */
const CLIENT_GONE = Object.assign(new Error('client closed the connection'), {
  code: 'SG_ERR_CLIENT_ABORTED',
});
