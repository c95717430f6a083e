import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { ErrorCode } from '../../errors.js';
import type { CompiledRoute, Selection } from '../compiled-table.js';
import { endOfTurnWrites } from '../end-of-turn-writes.js';
import type { UpstreamRequest, UpstreamResponseHandler } from '../upstreams/http1/exchange-handler.js';
import type { UpstreamHandle } from '../upstreams/upstream-registry.js';
import { Attempts } from './attempts.js';
import { BodyLimit } from './body-limit.js';
import { type RequestEndEvent, requestEndChannel } from './diagnostics.js';
import type { Entrypoint } from './entrypoint.js';
import { type HttpErrorCode, sendError } from './error-responses.js';
import type { ExchangeHost, ExchangeSettings } from './exchange-settings.js';
import { httpsLocation } from './https-redirect.js';
import { RequestHead } from './request-head.js';
import { routeRequest } from './request-routing.js';
import { responseHeaders } from './response-head.js';
import { classifyUpstreamError, type ExchangePhase } from './upstream-errors.js';

/**
 * One client request proxied to an upstream, and the upstream client's handler for it: one object per
 * request, no per-request closures on the data path. Streams both ways with backpressure (the request
 * body is read as the upstream takes it; `onData` pauses the upstream while the client is slow), retries
 * on another upstream when that is safe, and answers with an `SG_ERR_*` error otherwise.
 *
 * @example
 * new ProxyExchange(req, res, settings, gateway, 'http').start();
 */
export class ProxyExchange implements UpstreamResponseHandler {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #settings: ExchangeSettings;
  readonly #host: ExchangeHost;
  readonly #entrypoint: Entrypoint;
  #head!: RequestHead;
  #route: CompiledRoute | undefined;
  #secure = false;
  #request!: UpstreamRequest;
  #upstream: UpstreamHandle | undefined;
  #setCookie: string | undefined;
  #phase: ExchangePhase = 'connect';
  /** The upstream request started and has not completed or failed yet. */
  #active = false;
  #abort: ((reason: Error) => void) | undefined;
  #bodyError: Error | undefined;
  #resume: (() => void) | undefined;
  #awaitingDrain = false;
  readonly #attempts: Attempts;
  #clientGone = false;
  #errorCode: ErrorCode | undefined;
  #startedAt = 0;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    settings: ExchangeSettings,
    host: ExchangeHost,
    entrypoint: Entrypoint,
  ) {
    this.#req = req;
    this.#res = res;
    this.#settings = settings;
    this.#host = host;
    this.#entrypoint = entrypoint;
    this.#attempts = new Attempts(settings.maxRetries);
  }

  /** Routes the request and dispatches it; errors are answered here, never thrown. */
  start(): void {
    const req = this.#req;
    const res = this.#res;
    this.#host.exchangeStarted();
    res.on('close', this.#onClose);
    if (requestEndChannel.hasSubscribers) this.#startedAt = performance.now();
    const head = new RequestHead(req.rawHeaders);
    this.#head = head;
    const routed = routeRequest(req, head, this.#host.table, this.#settings, this.#entrypoint);
    if (routed.route === undefined) {
      this.#fail(routed.code, routed.message);
      return;
    }
    const route = routed.route;
    this.#route = route;
    this.#secure = routed.secure;
    const limit = route.route.maxBodyBytes ?? this.#settings.maxBodyBytes;
    if (limit > 0 && head.contentLength > limit) {
      this.#fail('SG_ERR_BODY_TOO_LARGE', 'content-length over limit');
      return;
    }
    if (route.route.redirectHttps && !routed.secure) {
      this.#redirectToHttps(routed.host, routed.pathAndQuery);
      return;
    }
    const selection = route.select(head.cookie, routed.secure);
    if (selection === undefined) {
      this.#fail('SG_ERR_NO_UPSTREAM', 'no available upstream');
      return;
    }
    if (head.expectContinue) res.writeContinue();
    this.#request = {
      method: req.method!,
      path: routed.forwardPath,
      headers: head.headers,
      body: head.hasBody ? this.#body(limit) : null,
      contentLength: head.chunked ? -1 : head.contentLength,
    };
    this.#send(selection);
  }

  onConnect(abort: (reason: Error) => void): void {
    this.#abort = abort;
    this.#phase = 'awaiting-response';
    if (this.#clientGone) abort(CLIENT_GONE);
    else if (this.#bodyError !== undefined) abort(this.#bodyError);
  }

  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void, statusText: string): void {
    this.#resume = resume;
    this.#upstream!.reportSuccess();
    const headers = responseHeaders(rawHeaders, this.#setCookie);
    if (this.#host.closing) headers.push('connection', 'close');
    try {
      this.#res.writeHead(statusCode, statusText || undefined, headers);
    } catch (err) {
      // Node refused the head (e.g. an invalid character in a value): answered 502 via `onError`.
      this.#abort!(err as Error);
      return;
    }
    this.#phase = 'streaming-response';
  }

  onData(chunk: Buffer): boolean {
    if (this.#res.write(chunk)) return true;
    if (!this.#awaitingDrain) {
      this.#awaitingDrain = true;
      this.#res.once('drain', this.#onDrain);
    }
    return false;
  }

  onComplete(last: Buffer | undefined): void {
    this.#resume = undefined;
    this.#finishUpstream();
    endOfTurnWrites.end(this.#res, last);
  }

  onError(err: Error, responseStarted: boolean): void {
    this.#resume = undefined;
    this.#finishUpstream();
    const upstream = this.#upstream!;
    if (this.#clientGone || this.#res.destroyed) {
      this.#errorCode = 'SG_ERR_CLIENT_ABORTED';
      return;
    }
    const kind = classifyUpstreamError(err, this.#phase);
    if (kind.failure !== undefined) upstream.reportFailure(kind.failure);
    const log = {
      code: kind.code,
      routeId: this.#route!.route.id,
      upstreamId: upstream.id,
      attempt: this.#attempts.count,
      method: this.#req.method,
      host: this.#head.host,
      cause: (err as { code?: string }).code ?? err.message,
    };
    if (this.#phase === 'streaming-response') {
      this.#errorCode = kind.code;
      this.#settings.logger.warn(
        log,
        'upstream failed while streaming the response; closing the client connection',
      );
      this.#res.destroy();
      return;
    }
    // RFC-wise a reset is only safe to retry if not a byte of the answer came back.
    const retryable = !responseStarted && this.#retryable(kind.retry);
    const next = this.#attempts.next(
      this.#route!,
      this.#head.cookie,
      this.#secure,
      upstream.id,
      retryable,
      kind.code,
    );
    if (next !== undefined) {
      this.#settings.logger.warn(log, 'retrying the request on another upstream');
      this.#send(next);
      return;
    }
    this.#errorCode = kind.code;
    this.#settings.logger.warn(log, 'upstream request failed');
    sendError(this.#res, kind.code, this.#closeAfterError());
  }

  #send(selection: Selection): void {
    const upstream = selection.upstream;
    this.#upstream = upstream;
    this.#setCookie = selection.setCookie;
    this.#phase = 'connect';
    // The previous attempt's connection may already carry another exchange.
    this.#abort = undefined;
    this.#attempts.started();
    this.#active = true;
    upstream.requestStarted();
    upstream.pool.dispatch(this.#request, this);
  }

  #body(limit: number): Readable {
    if (limit === 0 || !this.#head.chunked) return this.#req;
    const limited = new BodyLimit(limit);
    this.#req.on('error', (err) => limited.destroy(err));
    // The limit may trip before the request is on a connection: kept for `onConnect` to abort with.
    limited.on('error', (err) => {
      this.#bodyError = err;
      if (this.#active && this.#abort !== undefined) this.#abort(err);
    });
    return this.#req.pipe(limited);
  }

  #retryable(retry: 'always' | 'bodyless-idempotent' | 'never'): boolean {
    if (retry !== 'bodyless-idempotent') return retry === 'always';
    const method = this.#req.method;
    return !this.#head.hasBody && (method === 'GET' || method === 'HEAD' || method === 'OPTIONS');
  }

  #finishUpstream(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#abort = undefined;
    this.#upstream!.requestFinished();
  }

  #fail(code: HttpErrorCode, message: string): void {
    this.#errorCode = code;
    const req = this.#req;
    this.#settings.logger.warn(
      { code, routeId: this.#route?.route.id, method: req.method, host: this.#head.host, url: req.url },
      message,
    );
    sendError(this.#res, code, this.#closeAfterError(code));
  }

  /**
   * After an error, keep the connection only if nothing of a request body is left in doubt and the
   * client spoke proper HTTP.
   */
  #closeAfterError(code?: HttpErrorCode): boolean {
    return code === 'SG_ERR_BAD_REQUEST' || this.#host.closing || !this.#req.complete || this.#head.hasBody;
  }

  #redirectToHttps(host: string, pathAndQuery: string): void {
    const headers = ['location', httpsLocation(host, pathAndQuery), 'content-length', '0'];
    if (this.#host.closing) headers.push('connection', 'close');
    this.#res.writeHead(308, headers);
    this.#res.end();
  }

  readonly #onDrain = (): void => {
    this.#awaitingDrain = false;
    this.#resume?.();
  };

  readonly #onClose = (): void => {
    const res = this.#res;
    if (!res.writableFinished) {
      this.#clientGone = true;
      this.#errorCode ??= 'SG_ERR_CLIENT_ABORTED';
      if (this.#active && this.#abort !== undefined) this.#abort(CLIENT_GONE);
    }
    this.#host.exchangeEnded();
    if (requestEndChannel.hasSubscribers) requestEndChannel.publish(this.#endEvent());
  };

  #endEvent(): RequestEndEvent {
    const req = this.#req;
    return {
      method: req.method ?? '',
      host: this.#head?.host ?? '',
      url: req.url ?? '',
      routeId: this.#route?.route.id,
      upstreamId: this.#upstream?.id,
      status: this.#clientGone ? 0 : this.#res.statusCode,
      durationMs: this.#startedAt === 0 ? 0 : performance.now() - this.#startedAt,
      retries: this.#attempts.retries,
      errorCode: this.#errorCode,
      upgrade: false,
    };
  }
}

/** The reason undici is given when the client went away mid-exchange. */
const CLIENT_GONE = Object.assign(new Error('client closed the connection'), {
  code: 'SG_ERR_CLIENT_ABORTED',
});
