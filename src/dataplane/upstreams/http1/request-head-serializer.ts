/**
 * The request line and header block for an upstream, as one latin1 string (one write, one syscall).
 * `extra` holds further header lines, each ending in CRLF (framing or upgrade headers).
 *
 * @example
 * serializeRequestHead('GET', '/a', ['host', 'a.test'], '') // 'GET /a HTTP/1.1\r\nhost: a.test\r\n\r\n'
 */
export function serializeRequestHead(
  method: string,
  path: string,
  headers: readonly string[],
  extra: string,
): string {
  let text = `${method} ${path} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${text}${extra}\r\n`;
}
