import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { HttpErrorCode } from './error-responses.js';
import { writeRawError } from './error-responses.js';

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
    // A response already under way on this connection cannot be followed by another one.
    const inProgress =
      (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (cause === 'ECONNRESET' || !socket.writable || inProgress) {
      socket.destroy();
      return;
    }
    const { status, code } = replyFor(cause);
    const peer = (socket as { remoteAddress?: string }).remoteAddress;
    logger.info({ code, status, cause, peer }, 'rejected a client request');
    writeRawError(socket, status, code);
  };
}
