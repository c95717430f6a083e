import { responseHeaders } from './response-head.js';

/** The head of an upstream's answer to an upgrade, as the client gets it. */
export interface UpgradeResponseHead {
  head: Buffer;
  /** A refusal's body goes on chunked: the upstream sent it chunked, and it is relayed decoded. */
  chunked: boolean;
}

/**
 * The head of an upstream's answer to an upgrade, rebuilt from the fields the strict upstream parser
 * read. A 101 keeps its fields (its `Connection` and `Upgrade` make the switch) and gains the sticky
 * `Set-Cookie`. A refusal (any other status) gets the fields of any response (`responseHeaders`:
 * hop-by-hop fields dropped, the cookie added, framed anew) and `connection: close`, since the client
 * connection cannot go back to routed HTTP. Undefined for a body in a transfer coding besides chunked,
 * which the gateway does not pass on.
 *
 * @example
 * upgradeResponseHead(101, 'Switching Protocols', ['Upgrade', 'websocket', 'Connection', 'Upgrade'], 'sg=1', false);
 */
export function upgradeResponseHead(
  status: number,
  statusText: string,
  fields: string[],
  setCookie: string | undefined,
  headRequest: boolean,
): UpgradeResponseHead | undefined {
  let headers: string[] | undefined;
  let chunked = false;
  if (status === 101) {
    headers = setCookie === undefined ? fields : [...fields, 'set-cookie', setCookie];
  } else {
    headers = responseHeaders(fields, setCookie, status);
    if (headers === undefined) return undefined;
    chunked = !headRequest && status !== 204 && status !== 304 && hasTransferEncoding(fields);
    if (chunked) headers.push('transfer-encoding', 'chunked');
    headers.push('connection', 'close');
  }
  let head = `HTTP/1.1 ${status} ${statusText}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return { head: Buffer.from(`${head}\r\n`, 'latin1'), chunked };
}

function hasTransferEncoding(fields: string[]): boolean {
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i]!.toLowerCase() === 'transfer-encoding') return true;
  }
  return false;
}
