import { connectionTokens, removeNamed } from './connection-tokens.js';
import { isChunkedOnly } from './transfer-coding.js';

/**
 * Turns an upstream response's headers (flat `[name, value, ...]`) into the list node's `writeHead`
 * takes, dropping hop-by-hop headers and adding the sticky `Set-Cookie`, if any.
 * Set-Cookie is appended as its own header so the upstream's cookies stay untouched.
 * Node frames the body anew, so a chunked response loses its Content-Length too (RFC 9112 §6.3: it
 * would announce a length the body does not have). `undefined` when the body is in a transfer coding
 * besides chunked, which the client would get still encoded but framed as plain. A 204 never carries a
 * Content-Length (RFC 9110 §8.6). Repeated or listed Content-Length values (equal, or the upstream
 * client would have refused them) go on as one: a strict client rejects `5, 5`.
 */
export function responseHeaders(
  raw: readonly string[],
  setCookie: string | undefined,
  status: number,
): string[] | undefined {
  const out: string[] = [];
  let listed: string[] | undefined;
  let codings: string | undefined;
  let length = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    switch (name.toLowerCase()) {
      case 'content-length':
        if (!length) out.push(name, firstListed(raw[i + 1]!));
        length = true;
        break;
      case 'connection':
        listed = connectionTokens(raw[i + 1]!, listed);
        break;
      case 'transfer-encoding':
        codings = codings === undefined ? raw[i + 1]! : `${codings}, ${raw[i + 1]!}`;
        break;
      case 'keep-alive':
      case 'te':
      case 'trailer':
      case 'upgrade':
      case 'proxy-connection':
      case 'proxy-authenticate':
        break;
      default:
        out.push(name, raw[i + 1]!);
    }
  }
  if (codings !== undefined && !isChunkedOnly(codings)) return undefined;
  if (codings !== undefined || status === 204) {
    listed ??= [];
    listed.push('content-length');
  }
  if (listed !== undefined) removeNamed(out, listed);
  if (setCookie !== undefined) out.push('set-cookie', setCookie);
  return out;
}

/** The first element of a comma-separated field value. */
function firstListed(value: string): string {
  const comma = value.indexOf(',');
  return comma < 0 ? value : value.slice(0, comma).trim();
}
