import { connectionTokens, removeNamed } from './connection-tokens.js';
import { IncomingForwarding } from './forwarding.js';

/**
 * One pass over a request's raw headers: collects what routing and proxying need and builds the
 * upstream header list (flat `[name, value, ...]`, as the upstream client takes it) without
 * hop-by-hop headers (RFC 9110 §7.6.1), `Expect` (the gateway answers `100-continue` itself) and the
 * client's forwarding headers (re-added by `appendForwardingHeaders`).
 */
export class RequestHead {
  /** Host header as sent (port included); empty when absent. */
  host = '';
  /** How many Host field lines came; more than one is refused (RFC 9112 §3.2). */
  hostFields = 0;
  /** All Cookie headers joined with `; `. */
  cookie: string | undefined = undefined;
  /** Content-Length as sent; -1 when absent. */
  contentLength = -1;
  chunked = false;
  /** Transfer-Encoding field lines joined with `, `; empty when absent. */
  transferEncoding = '';
  /** The Upgrade header, when the client asks for a protocol switch. */
  upgrade: string | undefined = undefined;
  readonly forwarding = new IncomingForwarding();
  /** Headers for the upstream request. */
  readonly headers: string[] = [];

  constructor(rawHeaders: readonly string[]) {
    let listed: string[] | undefined;
    const out = this.headers;
    const fwd = this.forwarding;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      const value = rawHeaders[i + 1]!;
      switch (name.toLowerCase()) {
        case 'host':
          this.host = value;
          this.hostFields++;
          out.push(name, value);
          break;
        case 'cookie':
          this.cookie = this.cookie === undefined ? value : `${this.cookie}; ${value}`;
          out.push(name, value);
          break;
        case 'content-length':
          this.contentLength = Number(value);
          out.push(name, value);
          break;
        case 'connection':
          listed = connectionTokens(value, listed);
          break;
        case 'transfer-encoding':
          this.chunked = true;
          this.transferEncoding = this.transferEncoding === '' ? value : `${this.transferEncoding}, ${value}`;
          break;
        case 'upgrade':
          this.upgrade = value;
          break;
        case 'expect':
        case 'keep-alive':
        case 'te':
        case 'trailer':
        case 'http2-settings':
          break;
        case 'x-forwarded-for':
          fwd.xForwardedFor = fwd.xForwardedFor === undefined ? value : `${fwd.xForwardedFor}, ${value}`;
          break;
        case 'x-forwarded-proto':
          fwd.xForwardedProto ??= value;
          break;
        case 'x-forwarded-host':
          fwd.xForwardedHost ??= value;
          break;
        case 'x-forwarded-port':
          fwd.xForwardedPort ??= value;
          break;
        case 'x-real-ip':
          fwd.xRealIp ??= value;
          break;
        case 'forwarded':
          fwd.forwarded = fwd.forwarded === undefined ? value : `${fwd.forwarded}, ${value}`;
          break;
        default:
          if (!isProxyHeader(name) && !isForwardingAlias(name)) out.push(name, value);
      }
    }
    if (listed !== undefined) removeNamed(out, listed);
  }

  /**
   * Makes `host` the request's host, in the upstream request too: for an absolute-form target the
   * target's authority replaces the Host header (RFC 9112 §3.2.2). Call only with one Host field line.
   */
  replaceHost(host: string): void {
    this.host = host;
    const out = this.headers;
    for (let i = 0; i < out.length; i += 2) {
      if (out[i]!.toLowerCase() === 'host') {
        out[i + 1] = host;
        return;
      }
    }
    out.push('host', host);
  }

  /**
   * The `X-Real-IP` this hop added (`appendForwardingHeaders`, once routed); the client's own
   * `X-Real-IP` never stays in `headers`. Undefined for a request that was not routed.
   */
  forwardedClient(): string | undefined {
    const out = this.headers;
    for (let i = out.length - 2; i >= 0; i -= 2) if (out[i] === 'x-real-ip') return out[i + 1];
    return undefined;
  }

  /** Whether a body follows the head. */
  get hasBody(): boolean {
    return this.chunked || this.contentLength > 0;
  }
}

const FORWARDING = new Set([
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-real-ip',
]);

/**
 * `X_Forwarded_For` and the like: CGI-style backends (PHP, WSGI, Rack) read `_` and `-` alike, so a
 * client could set a forwarding header the gateway did not vet. Dropped, as nginx drops names with `_`.
 */
function isForwardingAlias(name: string): boolean {
  return name.includes('_') && FORWARDING.has(name.replaceAll('_', '-').toLowerCase());
}

function isProxyHeader(name: string): boolean {
  return (
    name.length > 6 && (name.charCodeAt(0) | 0x20) === 0x70 && name.slice(0, 6).toLowerCase() === 'proxy-'
  );
}
