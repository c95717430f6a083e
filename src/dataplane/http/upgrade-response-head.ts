import { responseHeaders } from './response-head.js';

/**
 * The head of an upstream's answer to an upgrade, as the client gets it, from the fields the strict
 * upstream parser read. A 101 keeps its fields (its `Connection` and `Upgrade` make the switch) and
 * gains the sticky `Set-Cookie`. A refusal (any other status) gets the fields of any response
 * (`responseHeaders`: hop-by-hop fields dropped, the cookie added) and `connection: close`, since the
 * client connection cannot go back to routed HTTP. Its body is relayed decoded and, when it came
 * chunked, delimited by the close. Undefined for a body in a transfer coding besides chunked, which
 * the gateway does not pass on.
 *
 * @example
 * upgradeResponseHead(101, 'Switching Protocols', ['Upgrade', 'websocket', 'Connection', 'Upgrade'], 'sg=1');
 */
export function upgradeResponseHead(
  status: number,
  statusText: string,
  fields: string[],
  setCookie: string | undefined,
): Buffer | undefined {
  let headers: string[] | undefined;
  if (status === 101) {
    headers = setCookie === undefined ? fields : [...fields, 'set-cookie', setCookie];
  } else {
    headers = responseHeaders(fields, setCookie, status);
    if (headers === undefined) return undefined;
    headers.push('connection', 'close');
  }
  let head = `HTTP/1.1 ${status} ${statusText}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return Buffer.from(`${head}\r\n`, 'latin1');
}
