import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { ErrorCode } from '../../errors.js';
import type { CompiledRoute, Selection } from '../compiled-table.js';
import { serializeRequestHead } from '../upstreams/http1/request-head-serializer.js';
import type { UpstreamHandle } from '../upstreams/upstream-registry.js';
import { Attempts } from './attempts.js';
import { type RequestEndEvent, requestEndChannel } from './diagnostics.js';
import type { Entrypoint } from './entrypoint.js';
import { ERROR_STATUS, type HttpErrorCode, writeRawError } from './error-responses.js';
import type { ExchangeHost, ExchangeSettings } from './exchange-settings.js';
import { httpsLocation, writeRawRedirect } from './https-redirect.js';
import { rewriteRawResponseHead } from './raw-response-head.js';
import { RequestHead } from './request-head.js';
import { routeRequest } from './request-routing.js';
import { classifyUpstreamError, type ExchangePhase } from './upstream-errors.js';

/**
 * Proxies a request with `Upgrade` (WebSocket or any other protocol) as raw bidirectional streams.
 * It writes the request itself and reads the upstream's response head, so the sticky Set-Cookie can be
 * added to the 101 (or to a refusal such as 401); then both sockets are piped and closed together.
 * Connect failures are retried on another upstream like plain requests.
 *
 * @example
 * server.on('upgrade', (req, socket, head) => new UpgradeTunnel(req, socket as Socket, head, settings, gateway, 'http').start());
 */
export class UpgradeTunnel {
  readonly #req: IncomingMessage;
  readonly #client: Socket;
  /** Bytes the client sent after the request head (already read by node's parser). */
  readonly #early: Buffer;
  readonly #settings: ExchangeSettings;
  readonly #host: ExchangeHost;
  readonly #entrypoint: Entrypoint;
  #head!: RequestHead;
  #route: CompiledRoute | undefined;
  #secure = false;
  #request!: Buffer;
  #upstream: UpstreamHandle | undefined;
  #socket: Socket | undefined;
  #setCookie: string | undefined;
  #phase: ExchangePhase = 'connect';
  #received: Buffer = Buffer.alloc(0);
  #lastError: { code?: unknown; message?: string } | undefined;
  readonly #attempts: Attempts;
  #status = 0;
  #errorCode: ErrorCode | undefined;
  #clientGone = false;
  #ended = false;
  #startedAt = 0;

  constructor(
    req: IncomingMessage,
    client: Socket,
    early: Buffer,
    settings: ExchangeSettings,
    host: ExchangeHost,
    entrypoint: Entrypoint,
  ) {
    this.#req = req;
    this.#client = client;
    this.#early = early;
    this.#settings = settings;
    this.#host = host;
    this.#entrypoint = entrypoint;
    this.#attempts = new Attempts(settings.maxRetries);
  }

  /** Routes the upgrade and connects; refusals are answered on the raw socket, never thrown. */
  start(): void {
    const client = this.#client;
    this.#host.exchangeStarted();
    this.#host.tunnelOpened(client);
    if (requestEndChannel.hasSubscribers) this.#startedAt = performance.now();
    client.on('error', ignore);
    client.on('close', this.#onClientClose);
    const head = new RequestHead(this.#req.rawHeaders);
    this.#head = head;
    const routed = routeRequest(this.#req, head, this.#host.table, this.#settings, this.#entrypoint);
    if (routed.route === undefined) {
      this.#refuse(routed.code, routed.message);
      return;
    }
    this.#route = routed.route;
    this.#secure = routed.secure;
    if (routed.route.route.redirectHttps && !routed.secure) {
      // Never tunnel plain HTTP to a route that demands https; the answer names the https URL.
      this.#status = 308;
      writeRawRedirect(this.#client, httpsLocation(routed.host, routed.pathAndQuery));
      return;
    }
    const selection = routed.route.select(head.cookie, routed.secure);
    if (selection === undefined) {
      this.#refuse('SG_ERR_NO_UPSTREAM', 'no available upstream');
      return;
    }
    this.#request = serializeRequest(this.#req.method ?? 'GET', routed.forwardPath, head);
    this.#connect(selection);
  }

  #connect(selection: Selection): void {
    const upstream = selection.upstream;
    this.#upstream = upstream;
    this.#setCookie = selection.setCookie;
    this.#phase = 'connect';
    this.#received = Buffer.alloc(0);
    this.#lastError = undefined;
    this.#attempts.started();
    upstream.requestStarted();
    const socket = connect({ host: upstream.host, port: upstream.port });
    this.#socket = socket;
    socket.setTimeout(this.#settings.tunnelConnectTimeoutMs);
    socket.on('connect', this.#onConnect);
    socket.on('data', this.#onResponseHead);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', this.#onError);
    socket.on('close', this.#onUpstreamClose);
  }

  readonly #onConnect = (): void => {
    const socket = this.#socket!;
    this.#phase = 'awaiting-response';
    socket.setTimeout(this.#settings.tunnelHeadersTimeoutMs);
    socket.setNoDelay(true);
    socket.write(this.#request);
    if (this.#early.length > 0) socket.write(this.#early);
  };

  readonly #onResponseHead = (chunk: Buffer): void => {
    this.#received = this.#received.length === 0 ? chunk : Buffer.concat([this.#received, chunk]);
    const parsed = rewriteRawResponseHead(this.#received, this.#setCookie, this.#settings.maxHeaderBytes);
    if (parsed === 'incomplete') return;
    const socket = this.#socket!;
    if (parsed === 'invalid') {
      this.#lastError = { code: 'SG_UPSTREAM_PROTOCOL' };
      socket.destroy();
      return;
    }
    socket.off('data', this.#onResponseHead);
    socket.setTimeout(0);
    this.#phase = 'streaming-response';
    this.#status = parsed.status;
    this.#upstream!.reportSuccess();
    const client = this.#client;
    // node's HTTP server allows half-open sockets; a tunnel closes both ways once either peer is done.
    client.allowHalfOpen = false;
    client.setTimeout(0);
    client.setNoDelay(true);
    client.write(parsed.head);
    if (parsed.rest.length > 0) client.write(parsed.rest);
    socket.pipe(client);
    client.pipe(socket);
  };

  readonly #onTimeout = (): void => {
    this.#lastError = {
      code: this.#phase === 'connect' ? 'SG_UPSTREAM_CONNECT_TIMEOUT' : 'SG_UPSTREAM_RESPONSE_TIMEOUT',
    };
    this.#socket!.destroy();
  };

  readonly #onError = (err: Error): void => {
    this.#lastError ??= err as { code?: unknown };
  };

  readonly #onUpstreamClose = (): void => {
    const upstream = this.#upstream!;
    this.#socket = undefined;
    upstream.requestFinished();
    if (this.#clientGone) {
      this.#end();
      return;
    }
    if (this.#phase === 'streaming-response') {
      this.#client.destroySoon();
      return;
    }
    const err = this.#lastError ?? { code: 'SG_UPSTREAM_CLOSED' };
    const kind = classifyUpstreamError(err, this.#phase);
    if (kind.failure !== undefined) upstream.reportFailure(kind.failure);
    const log = {
      code: kind.code,
      routeId: this.#route!.route.id,
      upstreamId: upstream.id,
      attempt: this.#attempts.count,
      host: this.#head.host,
      upgrade: this.#head.upgrade,
      cause: err.code ?? err.message,
    };
    const retryable = this.#retryable(kind.retry);
    const next = this.#attempts.next(
      this.#route!,
      this.#head.cookie,
      this.#secure,
      upstream.id,
      retryable,
      kind.code,
    );
    if (next === undefined) {
      this.#settings.logger.warn(log, 'upgrade to the upstream failed');
      this.#errorCode = kind.code;
      this.#status = ERROR_STATUS[kind.code];
      writeRawError(this.#client, this.#status, kind.code);
      return;
    }
    this.#settings.logger.warn(log, 'retrying the upgrade on another upstream');
    this.#connect(next);
  };

  readonly #onClientClose = (): void => {
    this.#clientGone = true;
    const socket = this.#socket;
    if (socket === undefined) {
      this.#end();
    } else if (this.#phase === 'streaming-response') {
      // Let what the client sent before it closed reach the upstream, then close.
      socket.destroySoon();
    } else {
      this.#errorCode ??= 'SG_ERR_CLIENT_ABORTED';
      socket.destroy();
    }
  };

  #retryable(retry: 'always' | 'bodyless-idempotent' | 'never'): boolean {
    if (retry === 'never') return false;
    // After a reset the upstream may have seen the request; that is harmless for the GET of an upgrade
    // unless the client already sent bytes on the new protocol.
    return retry === 'always' || (this.#early.length === 0 && this.#req.method === 'GET');
  }

  #refuse(code: HttpErrorCode, message: string): void {
    this.#errorCode = code;
    this.#status = ERROR_STATUS[code];
    const req = this.#req;
    this.#settings.logger.warn(
      { code, routeId: this.#route?.route.id, host: this.#head.host, url: req.url },
      message,
    );
    writeRawError(this.#client, this.#status, code);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#host.tunnelClosed(this.#client);
    this.#host.exchangeEnded();
    if (requestEndChannel.hasSubscribers) requestEndChannel.publish(this.#endEvent());
  }

  #endEvent(): RequestEndEvent {
    const req = this.#req;
    return {
      method: req.method ?? '',
      host: this.#head?.host ?? '',
      url: req.url ?? '',
      routeId: this.#route?.route.id,
      upstreamId: this.#upstream?.id,
      status: this.#status,
      durationMs: this.#startedAt === 0 ? 0 : performance.now() - this.#startedAt,
      retries: this.#attempts.retries,
      errorCode: this.#errorCode,
      upgrade: true,
    };
  }
}

function ignore(): void {}

/** The upgrade request as the upstream gets it: origin-form path, filtered headers, this hop's forwarding headers. */
function serializeRequest(method: string, path: string, head: RequestHead): Buffer {
  const upgrade = `connection: upgrade\r\nupgrade: ${head.upgrade}\r\n`;
  return Buffer.from(serializeRequestHead(method, path, head.headers, upgrade), 'latin1');
}
