import { ResponseParseError } from '../upstreams/http1/response-parse-error.js';
import { connectionTokens, removeNamed } from './connection-tokens.js';
import { isChunkedOnly } from './transfer-coding.js';

/** Why a response `responseHeaders` cannot pass on fails: its body's coding is not chunked alone (a 502). */
export const UNSUPPORTED_CODING = new ResponseParseError('transfer coding other than chunked');

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
    const lower = name.toLowerCase();
    switch (lower) {
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
      default:
        if (!hopByHop(lower)) out.push(name, raw[i + 1]!);
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

/**
 * The `103 Early Hints` interim response to pass on for an upstream's, or undefined when none of its
 * fields is left: hop-by-hop fields go, and so do the framing ones (a 1xx has no content). Names and
 * values are written as received: the upstream parser let through only token names, and values
 * without CR, LF or NUL.
 */
export function earlyHintsHead(raw: readonly string[]): string | undefined {
  let listed: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') listed = connectionTokens(raw[i + 1]!, listed);
  }
  let fields = '';
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (
      lower === 'connection' ||
      lower === 'content-length' ||
      lower === 'transfer-encoding' ||
      hopByHop(lower) ||
      listed?.includes(lower)
    ) {
      continue;
    }
    fields += `${raw[i]!}: ${raw[i + 1]!}\r\n`;
  }
  return fields === '' ? undefined : `HTTP/1.1 103 Early Hints\r\n${fields}\r\n`;
}

/** Hop-by-hop fields besides `Connection` and the ones it lists (RFC 9110 §7.6.1), by lower-case name. */
function hopByHop(lower: string): boolean {
  switch (lower) {
    case 'keep-alive':
    case 'te':
    case 'trailer':
    case 'upgrade':
    case 'proxy-connection':
    case 'proxy-authenticate':
      return true;
    default:
      return false;
  }
}

/** The first element of a comma-separated field value. */
function firstListed(value: string): string {
  const comma = value.indexOf(',');
  return comma < 0 ? value : value.slice(0, comma).trim();
}
