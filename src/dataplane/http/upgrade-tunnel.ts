import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Selection } from '../compiled-table.js';
import { serializeRequestHead } from '../upstreams/http1/request-head-serializer.js';
import { ResponseParseError, ResponseParser } from '../upstreams/http1/response-parser.js';
import type { UpstreamError } from '../upstreams/http1/upstream-error.js';
import type { UnansweredExchange } from '../upstreams/upstream-handle.js';
import type { Entrypoint } from './entrypoint.js';
import { ERROR_STATUS, type HttpErrorCode, writeRawError } from './error-responses.js';
import { ExchangeRecord } from './exchange-record.js';
import type { ExchangeHost, ExchangeSettings } from './exchange-settings.js';
import { writeRawRedirect } from './https-redirect.js';
import type { RequestHead } from './request-head.js';
import { UNSUPPORTED_CODING } from './response-head.js';
import { upgradeResponseHead } from './upgrade-response-head.js';
import type { ErrorCause, ExchangePhase } from './upstream-errors.js';

/**
 * Proxies a request with `Upgrade` (WebSocket or any other protocol) as raw bidirectional streams.
 * It writes the request itself (with its `Content-Length` body, if any) and reads the upstream's answer
 * with the strict upstream parser, so the sticky Set-Cookie can be added to the 101 (or to a refusal
 * such as 401). Bytes the client sends after the request are held back until the upstream has
 * switched: on a 101 they go first, then both sockets are piped and closed together; on a refusal,
 * which is relayed until its framing says it is complete, they are dropped and never reach the
 * upstream, where they would be a request the gateway never routed.
 * Connect failures are retried on another upstream like plain requests.
 *
 * @example
 * server.on('upgrade', (req, socket, head) => new UpgradeTunnel(req, socket as Socket, head, settings, gateway, 'http').start());
 */
export class UpgradeTunnel implements UnansweredExchange {
  readonly #client: Socket;
  /** Bytes the client sent after the request head (already read by node's parser). */
  readonly #early: Buffer;
  readonly #settings: ExchangeSettings;
  readonly #host: ExchangeHost;
  readonly #entrypoint: Entrypoint;
  readonly #record: ExchangeRecord;
  readonly #parser: ResponseParser;
  #request!: Buffer;
  #socket: Socket | undefined;
  #phase: ExchangePhase = 'connect';
  /** Request body bytes not yet sent to the current upstream. */
  #bodyLeft = 0;
  /**
   * What the client sent after the request (and its body), held until the upstream switches: at most
   * one socket read (64 KiB). Once the body is sent the client is not read until the switch, so
   * anything more waits in the socket's own buffer (up to its high-water mark) and in the kernel, and
   * TCP flow control holds the client back.
   */
  #held: Buffer = EMPTY;
  /** A refusal's body goes to the client chunked. */
  #chunked = false;
  /** Unregisters this attempt from its upstream's exchanges awaiting an answer. */
  #answered: (() => void) | undefined;
  /** When the answer's head must have come (ms since the epoch): interim responses do not extend it. */
  #headDeadline = 0;
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
    this.#parser = new ResponseParser(
      {
        onResponseHead: this.#onAnswerHead,
        onResponseData: this.#onRefusalData,
        onResponseEnd: ignore,
      },
      settings.maxHeaderBytes,
    );
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
    if (record.head.chunked) {
      // The upstream request carries no Transfer-Encoding: a chunked body could only go raw, unframed.
      this.#refuse('SG_ERR_BAD_REQUEST', 'upgrade request with a chunked body');
      return;
    }
    this.#request = serializeRequest(record.req.method ?? 'GET', record.forwardPath, record.head);
    this.#connect(opening.selection);
  }

  #connect(selection: Selection): void {
    this.#phase = 'connect';
    this.#lastError = undefined;
    const headRequest = this.#record.req.method === 'HEAD';
    // For h2c the upstream was asked for no switch (see `asksForH2c`): a 101 is then an error.
    if (asksForH2c(this.#record.head.upgrade)) this.#parser.reset(headRequest);
    else this.#parser.resetForUpgrade(headRequest);
    const upstream = this.#record.attempt(selection);
    this.#answered = upstream.awaitAnswer(this);
    const socket = connect({ host: upstream.host, port: upstream.port });
    this.#socket = socket;
    socket.setTimeout(this.#settings.tunnelConnectTimeoutMs);
    socket.on('connect', this.#onConnect);
    socket.on('data', this.#onUpstreamData);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', this.#onError);
    socket.on('close', this.#onUpstreamClose);
  }

  readonly #onConnect = (): void => {
    const socket = this.#socket!;
    this.#phase = 'awaiting-response';
    this.#headDeadline = Date.now() + this.#settings.tunnelHeadersTimeoutMs;
    socket.setTimeout(this.#settings.tunnelHeadersTimeoutMs);
    socket.setNoDelay(true);
    socket.write(this.#request);
    // An attempt that sent part of a body is never retried (see `resendSafe`); a new one follows a
    // connect failure, before any body byte was read from the client, so `#early` holds all read so far.
    this.#bodyLeft = Math.max(this.#record.head.contentLength, 0);
    this.#held = EMPTY;
    const flowing = this.#sendBody(this.#early);
    if (this.#bodyLeft === 0) return;
    this.#client.on('data', this.#onClientBody);
    if (!flowing) {
      this.#client.pause();
      socket.once('drain', this.#resumeBody);
    }
  };

  /** Sends the part of `chunk` that belongs to the request body and holds the rest; false when the upstream is full. */
  #sendBody(chunk: Buffer): boolean {
    const length = Math.min(this.#bodyLeft, chunk.length);
    this.#bodyLeft -= length;
    if (length < chunk.length) this.#held = chunk.subarray(length);
    if (length === 0) return true;
    return this.#socket!.write(length === chunk.length ? chunk : chunk.subarray(0, length));
  }

  readonly #onClientBody = (chunk: Buffer): void => {
    const flowing = this.#sendBody(chunk);
    if (this.#bodyLeft === 0) {
      this.#stopBody();
    } else if (!flowing) {
      this.#client.pause();
      this.#socket!.once('drain', this.#resumeBody);
    }
  };

  readonly #resumeBody = (): void => {
    if (this.#bodyLeft > 0 && this.#phase === 'awaiting-response') this.#client.resume();
  };

  /** Stops reading the client: what it sends next waits for the tunnel, or is never read. */
  #stopBody(): void {
    this.#client.off('data', this.#onClientBody);
    this.#client.pause();
  }

  readonly #onUpstreamData = (chunk: Buffer): void => {
    const result = this.#parser.execute(chunk);
    const socket = this.#socket!;
    if (result === 'more') {
      // Each read restarts the socket's inactivity timer: cut it to what is left of the deadline, so
      // a stream of interim responses (102 every few seconds) cannot hold the client forever.
      if (this.#parser.awaitingHead) socket.setTimeout(Math.max(1, this.#headDeadline - Date.now()));
      return;
    }
    if (result !== 'done') {
      // After the head, a refusal whose body breaks its framing leaves the client a cut response.
      if (this.#phase === 'streaming-response') this.#client.destroy();
      else this.#lastError ??= result;
      socket.destroy();
    } else if (this.#status === 101) {
      this.#openTunnel(chunk.subarray(chunk.length - this.#parser.leftover));
    } else {
      // A refusal is complete: whatever the upstream sends next is not the client's.
      if (this.#chunked) this.#client.write(LAST_CHUNK);
      socket.destroy();
    }
  };

  readonly #onAnswerHead = (status: number, statusText: string, fields: string[]): void => {
    const socket = this.#socket!;
    const headRequest = this.#record.req.method === 'HEAD';
    const answer = upgradeResponseHead(status, statusText, fields, this.#record.setCookie, headRequest);
    if (answer === undefined) {
      this.#lastError = UNSUPPORTED_CODING;
      socket.destroy();
      return;
    }
    this.#stopBody();
    this.#answered?.();
    socket.setTimeout(0);
    this.#phase = 'streaming-response';
    this.#status = status;
    this.#chunked = answer.chunked;
    this.#record.upstream!.reportSuccess();
    const client = this.#client;
    // node's HTTP server allows half-open sockets; a tunnel closes both ways once either peer is done.
    client.allowHalfOpen = false;
    client.setTimeout(0);
    client.setNoDelay(true);
    client.write(answer.head);
  };

  /** A refusal's body, decoded: on to the client, the upstream paused while the client is full. */
  readonly #onRefusalData = (data: Buffer): void => {
    const socket = this.#socket;
    const client = this.#client;
    if (this.#phase !== 'streaming-response' || socket === undefined) return;
    if (this.#chunked) client.write(`${data.length.toString(16)}\r\n`);
    const flowing = client.write(data);
    if (this.#chunked) client.write('\r\n');
    if (!flowing && !socket.isPaused()) {
      socket.pause();
      client.once('drain', () => socket.resume());
    }
  };

  /** After a 101: the upstream's first bytes on the new protocol, the held client bytes, then the pipes. */
  #openTunnel(rest: Buffer): void {
    const socket = this.#socket!;
    const client = this.#client;
    socket.off('data', this.#onUpstreamData);
    if (rest.length > 0) client.write(rest);
    if (this.#held.length > 0) socket.write(this.#held);
    this.#held = EMPTY;
    socket.pipe(client);
    client.pipe(socket);
  }

  /** The upstream left the table and its host stopped answering: this attempt fails as `err` says. */
  failUnanswered(err: UpstreamError): void {
    this.#lastError = err;
    this.#socket?.destroy();
  }

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
    this.#answered?.();
    record.upstream!.requestFinished();
    if (this.#clientGone) {
      this.#end();
      return;
    }
    if (this.#phase === 'streaming-response') {
      // A refusal the upstream cut short must not look complete to the client.
      if (this.#parser.finish() instanceof ResponseParseError) this.#client.destroy();
      else this.#client.destroySoon();
      return;
    }
    this.#stopBody();
    const err = this.#lastError ?? { code: 'SG_UPSTREAM_CLOSED' };
    const kind = record.upstreamFailed(err, this.#phase);
    // After a reset the upstream may have seen the request: harmless for a GET without a body that got
    // no byte of an answer. The client's bytes after the request never went out before a 101.
    const resendSafe = record.req.method === 'GET' && !record.head.hasBody && !this.#parser.started;
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

const EMPTY = Buffer.alloc(0);
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

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
