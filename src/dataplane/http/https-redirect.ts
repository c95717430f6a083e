import type { Duplex } from 'node:stream';

/**
 * Where a plain-HTTP request to a `redirect-https` route is sent: the same host without its port (the
 * https entrypoint has its own) and the same path and query.
 *
 * @example
 * httpsLocation('a.test:8080', '/x?y=1'); // 'https://a.test/x?y=1'
 */
export function httpsLocation(host: string, pathAndQuery: string): string {
  const colon = host.lastIndexOf(':');
  const hostname = colon > host.lastIndexOf(']') ? host.slice(0, colon) : host;
  return `https://${hostname}${pathAndQuery}`;
}

/** Answers an upgrade request on its raw socket with a 308 to https, then closes it. */
export function writeRawRedirect(socket: Duplex, location: string): void {
  socket.end(
    `HTTP/1.1 308 Permanent Redirect\r\nlocation: ${location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
  );
}
