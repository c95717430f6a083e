import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { HttpErrorCode } from './error-responses.js';
import { ERROR_STATUS, writeRawError } from './error-responses.js';

/** How node's parser and timeout errors are answered. */
function replyFor(parserCode: string | undefined): { status: number; code: HttpErrorCode } {
  if (parserCode === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'SG_ERR_HEADERS_TOO_LARGE' };
  if (parserCode === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'SG_ERR_CLIENT_TIMEOUT' };
  return { status: 400, code: 'SG_ERR_BAD_REQUEST' };
}

/**
 * A `clientError` listener: answers malformed requests (400; request smuggling attempts such as
 * Content-Length with Transfer-Encoding included), oversized heads (431) and slow clients (408), logs
 * the `SG_ERR_*` code, and closes the connection.
 */
export function clientErrorHandler(logger: Logger): (err: Error, socket: Duplex) => void {
  return (err, socket) => {
    const cause = (err as NodeJS.ErrnoException).code;
    // Bytes after a request that closes the connection (`Connection: close`, HTTP/1.0 without
    // keep-alive): that request is answered and the rest ignored (RFC 9112 §9.6); node closes the
    // connection after the response.
    if (cause === 'HPE_CLOSED_CONNECTION') return;
    // A response already under way on this connection cannot be followed by another one.
    const message = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    const inProgress = message?.headersSent === true;
    // EOF inside a body whose exchange is under way: the client left, and that exchange logs the abort.
    const leftMidBody = cause === 'HPE_INVALID_EOF_STATE' && message !== undefined && message !== null;
    if (cause === 'ECONNRESET' || leftMidBody || !socket.writable || inProgress) {
      socket.destroy();
      return;
    }
    const { status, code } = replyFor(cause);
    const peer = (socket as { remoteAddress?: string }).remoteAddress;
    logger.info({ code, status, cause, peer }, 'rejected a client request');
    writeRawError(socket, status, code);
  };
}

/**
 * A `connect` listener: node closes a CONNECT request's connection without a word when nobody
 * listens; this answers 501 (a reverse proxy opens no tunnels to arbitrary targets) and logs it.
 */
export function connectMethodHandler(logger: Logger): (req: IncomingMessage, socket: Duplex) => void {
  return (req, socket) => {
    const code = 'SG_ERR_CONNECT_METHOD';
    const peer = req.socket.remoteAddress;
    logger.info({ code, status: ERROR_STATUS[code], target: req.url, peer }, 'rejected a client request');
    writeRawError(socket, ERROR_STATUS[code], code);
  };
}
