import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../../errors.js';

/** The codes the HTTP data plane answers with, and the status each one maps to. */
export const ERROR_STATUS = {
  SG_ERR_NO_ROUTE: 404,
  SG_ERR_NO_UPSTREAM: 503,
  SG_ERR_UPSTREAM_CONNECT: 502,
  SG_ERR_UPSTREAM_RESET: 502,
  SG_ERR_UPSTREAM_PROTOCOL: 502,
  SG_ERR_UPSTREAM_UNREACHABLE: 502,
  SG_ERR_UPSTREAM_TIMEOUT: 504,
  SG_ERR_BAD_REQUEST: 400,
  SG_ERR_HEADERS_TOO_LARGE: 431,
  SG_ERR_BODY_TOO_LARGE: 413,
  SG_ERR_EXPECTATION_FAILED: 417,
  SG_ERR_TRANSFER_CODING: 501,
  SG_ERR_CONNECT_METHOD: 501,
  SG_ERR_CLIENT_TIMEOUT: 408,
  SG_ERR_TOO_MANY_UPLOADS: 429,
  SG_ERR_INTERNAL: 500,
} as const satisfies Partial<Record<ErrorCode, number>>;

export type HttpErrorCode = keyof typeof ERROR_STATUS;

/** Seconds a client is asked to wait after a 503 (no available upstream) or a 429 (too many uploads). */
export const RETRY_AFTER_SECONDS = '5';

/** A short plain-text body: status, reason and code; never an internal address. */
function errorBody(status: number, code: string): Buffer {
  return Buffer.from(`${status} ${STATUS_CODES[status]} (${code})\n`);
}

const BODIES = new Map<HttpErrorCode, Buffer>(
  (Object.keys(ERROR_STATUS) as HttpErrorCode[]).map((code) => [code, errorBody(ERROR_STATUS[code], code)]),
);

/**
 * Answers a request with the error for `code`. `close` asks the client to close the connection (an
 * unread request body follows, or the connection is suspect). When headers were already sent the
 * connection is destroyed instead: the client sees a truncated response, never a mixed one.
 */
export function sendError(res: ServerResponse, code: HttpErrorCode, close: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = BODIES.get(code)!;
  const headers = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length)];
  headers.push('cache-control', 'no-store');
  if (code === 'SG_ERR_NO_UPSTREAM' || code === 'SG_ERR_TOO_MANY_UPLOADS') {
    headers.push('retry-after', RETRY_AFTER_SECONDS);
  }
  if (close) headers.push('connection', 'close');
  res.writeHead(ERROR_STATUS[code], headers);
  res.end(body);
}

const INTERNAL_ERROR = errorBody(500, 'SG_ERR_INTERNAL');

/** Answers 500 `SG_ERR_INTERNAL` after an unexpected exception (a bug). */
export function sendInternalError(res: ServerResponse): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(500, [
    'content-type',
    'text/plain; charset=utf-8',
    'content-length',
    String(INTERNAL_ERROR.length),
    'connection',
    'close',
  ]);
  res.end(INTERNAL_ERROR);
}

/** How long a rejected connection may linger so the client can read the error before it is destroyed. */
const LINGER_MS = 2000;

/**
 * Writes an error response straight onto a socket that has no `ServerResponse` (client errors, failed
 * upgrades), then closes it.
 */
export function writeRawError(socket: Duplex, status: number, code: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = errorBody(status, code);
  const retryAfter = status === 503 ? `retry-after: ${RETRY_AFTER_SECONDS}\r\n` : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${body.length}\r\ncache-control: no-store\r\n${retryAfter}connection: close\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
