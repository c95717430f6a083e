import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Selection } from '../compiled-table.js';
import { serializeRequestHead } from '../upstreams/http1/request-head-serializer.js';
import type { Entrypoint } from './entrypoint.js';
import { ERROR_STATUS, type HttpErrorCode, writeRawError } from './error-responses.js';
import { ExchangeRecord } from './exchange-record.js';
import type { ExchangeHost, ExchangeSettings } from './exchange-settings.js';
import { writeRawRedirect } from './https-redirect.js';
import { rewriteRawResponseHead } from './raw-response-head.js';
import { relayRefusal } from './refused-upgrade-relay.js';
import type { RequestHead } from './request-head.js';
import type { ErrorCause, ExchangePhase } from './upstream-errors.js';

/**
 * Proxies a request with `Upgrade` (WebSocket or any other protocol) as raw bidirectional streams.
 * It writes the request itself and reads the upstream's response head, so the sticky Set-Cookie can be
 * added to the 101 (or to a refusal such as 401); then both sockets are piped and closed together
 * (a refusal is relayed until its response ends, see `relayRefusal`).
 * Connect failures are retried on another upstream like plain requests.
 *
 * @example
 * server.on('upgrade', (req, socket, head) => new UpgradeTunnel(req, socket as Socket, head, settings, gateway, 'http').start());
 */
export class UpgradeTunnel {
  readonly #client: Socket;
  /** Bytes the client sent after the request head (already read by node's parser). */
  readonly #early: Buffer;
  readonly #settings: ExchangeSettings;
  readonly #host: ExchangeHost;
  readonly #entrypoint: Entrypoint;
  readonly #record: ExchangeRecord;
  #request!: Buffer;
  #socket: Socket | undefined;
  #phase: ExchangePhase = 'connect';
  #received: Buffer = Buffer.alloc(0);
  #lastError: ErrorCause | undefined;
  #status = 0;
  #clientGone = false;
  #ended = false;

  constructor(
    req: IncomingMessage,
    client: Socket,
    early: Buffer,
    settings: ExchangeSettings,
    host: ExchangeHost,
    entrypoint: Entrypoint,
  ) {
    this.#client = client;
    this.#early = early;
    this.#settings = settings;
    this.#host = host;
    this.#entrypoint = entrypoint;
    this.#record = new ExchangeRecord(req, settings, 'upgrade');
  }

  /** Routes the upgrade and connects; refusals are answered on the raw socket, never thrown. */
  start(): void {
    const client = this.#client;
    const record = this.#record;
    this.#host.exchangeStarted();
    this.#host.tunnelOpened(client);
    client.on('error', ignore);
    client.on('close', this.#onClientClose);
    const opening = record.open(this.#host.table, this.#entrypoint);
    if (opening.action === 'refuse') {
      this.#refuse(opening.code, opening.message);
      return;
    }
    if (opening.action === 'redirect') {
      // Never tunnel plain HTTP to a route that demands https; the answer names the https URL.
      this.#status = 308;
      writeRawRedirect(client, opening.location);
      return;
    }
    this.#request = serializeRequest(record.req.method ?? 'GET', record.forwardPath, record.head);
    this.#connect(opening.selection);
  }

  #connect(selection: Selection): void {
    this.#phase = 'connect';
    this.#received = Buffer.alloc(0);
    this.#lastError = undefined;
    const upstream = this.#record.attempt(selection);
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
    const parsed = rewriteRawResponseHead(
      this.#received,
      this.#record.setCookie,
      this.#settings.maxHeaderBytes,
    );
    if (parsed === 'incomplete') return;
    const socket = this.#socket!;
    // A 101 to an h2c request is a switch nobody asked this upstream for: never a tunnel.
    if (parsed === 'invalid' || (parsed.status === 101 && asksForH2c(this.#record.head.upgrade))) {
      this.#lastError = { code: 'SG_UPSTREAM_PROTOCOL' };
      socket.destroy();
      return;
    }
    socket.off('data', this.#onResponseHead);
    socket.setTimeout(0);
    this.#phase = 'streaming-response';
    this.#status = parsed.status;
    this.#record.upstream!.reportSuccess();
    const client = this.#client;
    // node's HTTP server allows half-open sockets; a tunnel closes both ways once either peer is done.
    client.allowHalfOpen = false;
    client.setTimeout(0);
    client.setNoDelay(true);
    if (parsed.status !== 101) {
      const headRequest = this.#record.req.method === 'HEAD';
      relayRefusal(socket, client, parsed, this.#received, headRequest, this.#settings.maxHeaderBytes);
      return;
    }
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
    this.#lastError ??= err as ErrorCause;
  };

  readonly #onUpstreamClose = (): void => {
    const record = this.#record;
    this.#socket = undefined;
    record.upstream!.requestFinished();
    if (this.#clientGone) {
      this.#end();
      return;
    }
    if (this.#phase === 'streaming-response') {
      this.#client.destroySoon();
      return;
    }
    const err = this.#lastError ?? { code: 'SG_UPSTREAM_CLOSED' };
    const kind = record.upstreamFailed(err, this.#phase);
    // After a reset the upstream may have seen the request; that is harmless for the GET of an upgrade
    // unless the client already sent bytes on the new protocol.
    const resendSafe = this.#early.length === 0 && record.req.method === 'GET';
    const next = record.retry(kind, err, resendSafe, this.#host.table);
    if (next !== undefined) {
      this.#connect(next);
      return;
    }
    this.#status = ERROR_STATUS[kind.code];
    writeRawError(this.#client, this.#status, kind.code);
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
      this.#record.errorCode ??= 'SG_ERR_CLIENT_ABORTED';
      socket.destroy();
    }
  };

  #refuse(code: HttpErrorCode, message: string): void {
    this.#record.refused(code, message);
    this.#status = ERROR_STATUS[code];
    writeRawError(this.#client, this.#status, code);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#host.tunnelClosed(this.#client);
    this.#host.exchangeEnded();
    this.#record.publishEnd(this.#status);
  }
}

function ignore(): void {}

/** The upgrade request as the upstream gets it: origin-form path, filtered headers, this hop's forwarding headers. */
function serializeRequest(method: string, path: string, head: RequestHead): Buffer {
  const upgrade = asksForH2c(head.upgrade)
    ? 'connection: close\r\n'
    : `connection: upgrade\r\nupgrade: ${head.upgrade}\r\n`;
  return Buffer.from(serializeRequestHead(method, path, head.headers, upgrade), 'latin1');
}

/**
 * `Upgrade: h2c` is passed on as a plain request: an HTTP/2 connection tunnelled to the upstream would
 * carry requests for any path the gateway never routed (h2c smuggling). The upstream answers in HTTP/1.1
 * and the answer is relayed like a refused upgrade (`curl --http2` on an http URL gets its response).
 */
function asksForH2c(upgrade: string | undefined): boolean {
  return upgrade !== undefined && /(?:^|,)\s*h2c\s*(?:,|$)/i.test(upgrade);
}
