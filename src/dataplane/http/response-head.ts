import { connectionTokens, removeNamed } from './connection-tokens.js';

/**
 * Turns an upstream response's headers (flat `[name, value, ...]`) into the list node's `writeHead`
 * takes, dropping hop-by-hop headers and adding the sticky `Set-Cookie`, if any.
 * Set-Cookie is appended as its own header so the upstream's cookies stay untouched.
 */
export function responseHeaders(raw: readonly string[], setCookie: string | undefined): string[] {
  const out: string[] = [];
  let listed: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    switch (name.toLowerCase()) {
      case 'connection':
        listed = connectionTokens(raw[i + 1]!, listed);
        break;
      case 'keep-alive':
      case 'transfer-encoding':
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
  if (listed !== undefined) removeNamed(out, listed);
  if (setCookie !== undefined) out.push('set-cookie', setCookie);
  return out;
}
