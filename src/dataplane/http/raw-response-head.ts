const HEAD_END = Buffer.from('\r\n\r\n');

/** An upstream's raw response head, rewritten for the client, and the bytes that followed it. */
export interface RawResponseHead {
  status: number;
  head: Buffer;
  rest: Buffer;
}

/**
 * Rewrites the response head an upstream sent on a raw (upgrade) connection: adds the sticky
 * `Set-Cookie` and, when the upstream refused the switch (any status but 101), replaces its connection
 * headers with `connection: close`, since the client connection cannot go back to routed HTTP, and
 * drops a `Content-Length` that comes with `Transfer-Encoding`.
 * Returns `'incomplete'` until the head's end arrived and `'invalid'` for a malformed or too large head.
 *
 * @example
 * rewriteRawResponseHead(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n'), 'sg=1', 16384);
 */
export function rewriteRawResponseHead(
  received: Buffer,
  setCookie: string | undefined,
  maxHeadBytes: number,
): RawResponseHead | 'incomplete' | 'invalid' {
  const end = received.indexOf(HEAD_END);
  if (end < 0) return received.length > maxHeadBytes ? 'invalid' : 'incomplete';
  if (end > maxHeadBytes) return 'invalid';
  const text = received.toString('latin1', 0, end);
  const match = /^HTTP\/1\.[01] (\d{3})(?: [^\r\n]*)?(?:\r\n|$)/.exec(text);
  if (match === null) return 'invalid';
  const status = Number(match[1]);
  let lines = text.split('\r\n');
  if (status !== 101) {
    // RFC 9112 §6.3: with Transfer-Encoding, a Content-Length is wrong and must not be passed on.
    const framedByCoding = lines.some((line) => /^transfer-encoding\s*:/i.test(line));
    const dropped = framedByCoding
      ? /^(?:connection|keep-alive|content-length)\s*:/i
      : /^(?:connection|keep-alive)\s*:/i;
    lines = lines.filter((line) => !dropped.test(line));
    lines.push('connection: close');
  }
  if (setCookie !== undefined) lines.push(`set-cookie: ${setCookie}`);
  lines.push('', '');
  return {
    status,
    head: Buffer.from(lines.join('\r\n'), 'latin1'),
    rest: received.subarray(end + HEAD_END.length),
  };
}
