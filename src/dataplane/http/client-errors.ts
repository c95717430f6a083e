import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { type RequestEndEvent, requestEndChannel } from './diagnostics.js';
import type { HttpErrorCode } from './error-responses.js';
import { ERROR_STATUS, writeRawError } from './error-responses.js';
import type { PipelineOrder } from './pipeline-order.js';
import { plainAddress } from './trusted-proxies.js';

/** An error the gateway wrote on a connection itself. */
export interface RawReply {
  status: number;
  code: HttpErrorCode;
}

/** How node's parser and timeout errors are answered. */
function replyFor(parserCode: string | undefined): RawReply {
  if (parserCode === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'SG_ERR_HEADERS_TOO_LARGE' };
  if (parserCode === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'SG_ERR_CLIENT_TIMEOUT' };
  return { status: 400, code: 'SG_ERR_BAD_REQUEST' };
}

/** Responses in whose place the connection got a raw error (a body cut by the request timeout). */
const repliedInstead = new WeakMap<ServerResponse, RawReply>();

/**
 * The error the gateway wrote on `res`'s connection in its place, if it did: the status the client
 * got, and the code its exchange ends with.
 */
export function rawReplyInstead(res: ServerResponse): RawReply | undefined {
  return repliedInstead.get(res);
}

/**
 * A `clientError` listener: answers malformed requests (400; request smuggling attempts such as
 * Content-Length with Transfer-Encoding included), oversized heads (431) and slow clients (408), logs
 * the `SG_ERR_*` code, and closes the connection. The answer waits for the responses ahead of it on
 * the connection (pipelined requests), and takes the place of the refused request's own response if
 * node had parsed its head (its body broke off). Each answer ends one request for the metrics and the
 * access log: that exchange, else one of its own, with no route.
 */
export function clientErrorHandler(
  logger: Logger,
  pipeline: PipelineOrder,
): (err: Error, socket: Duplex) => void {
  // Node reports a parse error again for every later read and the request timeout while the
  // responses ahead are still going out: one answer per connection.
  const answering = new WeakSet<Duplex>();
  return (err, socket) => {
    const cause = (err as NodeJS.ErrnoException).code;
    // Bytes after a request that closes the connection (`Connection: close`, HTTP/1.0 without
    // keep-alive): that request is answered and the rest ignored (RFC 9112 §9.6); node closes the
    // connection after the response.
    if (cause === 'HPE_CLOSED_CONNECTION' || answering.has(socket)) return;
    // EOF inside a body whose exchange is under way: the client left, and that exchange logs the abort.
    const leftMidBody = cause === 'HPE_INVALID_EOF_STATE' && pipeline.hasResponsesAhead(socket);
    if (cause === 'ECONNRESET' || leftMidBody || !socket.writable) {
      socket.destroy();
      return;
    }
    answering.add(socket);
    const refused = pipeline.unfinishedRequest(socket);
    pipeline.afterResponsesAhead(
      socket,
      (res) => res.req === refused,
      (own) => {
        // The refused request's own response has started: it cannot be followed by another one.
        if (own?.headersSent) {
          socket.destroy();
          return;
        }
        const reply = replyFor(cause);
        answer(socket, logger, reply, { cause }, (peer) => {
          if (own !== null) repliedInstead.set(own, reply);
          // Else, with a parsed head, the request was answered already, and its exchange counted it.
          else if (refused === null) publishRefused(peer, reply, UNPARSED);
        });
      },
    );
  };
}

/**
 * A `connect` listener: node closes a CONNECT request's connection without a word when nobody
 * listens; this answers 501 (a reverse proxy opens no tunnels to arbitrary targets), after the
 * responses ahead of it, and logs it.
 */
export function connectMethodHandler(
  logger: Logger,
  pipeline: PipelineOrder,
): (req: IncomingMessage, socket: Duplex) => void {
  return (req, socket) => {
    // Node stopped listening for the socket's errors when it handed it over: a reset while a
    // response ahead is still going out is that exchange's to log, and must not crash the process.
    socket.on('error', ignoreError);
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    // Past the pipelining bound, or behind a response that closes the connection: dropped unanswered.
    if (!pipeline.handOver(socket)) {
      logger.debug({ target: req.url }, 'pipelined request dropped: its connection closes');
      return;
    }
    const code: HttpErrorCode = 'SG_ERR_CONNECT_METHOD';
    const reply: RawReply = { status: ERROR_STATUS[code], code };
    const head = { method: 'CONNECT', host: req.headers.host ?? '', url: req.url ?? '' };
    pipeline.afterResponsesAhead(
      socket,
      () => false,
      () => answer(socket, logger, reply, { target: req.url }, (peer) => publishRefused(peer, reply, head)),
    );
  };
}

function ignoreError(): void {}

/**
 * Writes `reply` on `socket` and closes it, unless the connection closed (or is closing after a
 * response ahead) meanwhile: then the refused request is dropped unanswered, as pipelined requests
 * behind a closing response are. `record` accounts for the request once the answer goes out.
 */
function answer(
  socket: Duplex,
  logger: Logger,
  reply: RawReply,
  fields: Record<string, unknown>,
  record: (peer: string | undefined) => void,
): void {
  const { status, code } = reply;
  if (!socket.writable) {
    logger.debug({ code, status, ...fields }, 'refused request dropped: its connection closed first');
    return;
  }
  const peer = (socket as { remoteAddress?: string }).remoteAddress;
  logger.info({ code, status, ...fields, peer }, 'rejected a client request');
  record(peer);
  writeRawError(socket, status, code);
}

/** What a refused request's event tells of it: from its head, when node parsed one. */
interface RefusedHead {
  method: string;
  host: string;
  url: string;
}

const UNPARSED: RefusedHead = { method: '', host: '', url: '' };

/** Publishes the request-end event of a request refused before any exchange: no route, no upstream. */
function publishRefused(remoteAddress: string | undefined, reply: RawReply, head: RefusedHead): void {
  if (!requestEndChannel.hasSubscribers) return;
  const peer = plainAddress(remoteAddress ?? '');
  const event: RequestEndEvent = {
    client: peer,
    peer,
    ...head,
    routeId: undefined,
    upstreamId: undefined,
    status: reply.status,
    durationMs: undefined,
    retries: 0,
    errorCode: reply.code,
    upgrade: false,
  };
  requestEndChannel.publish(event);
}
