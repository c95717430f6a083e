import type { TrustedProxies } from './trusted-proxies.js';

/**
 * Client-IP and scheme headers as received. They are believed only when the peer is a trusted proxy;
 * otherwise the gateway replaces them with what it sees itself.
 */
export class IncomingForwarding {
  xForwardedFor: string | undefined = undefined;
  xForwardedProto: string | undefined = undefined;
  xForwardedHost: string | undefined = undefined;
  xForwardedPort: string | undefined = undefined;
  xRealIp: string | undefined = undefined;
  forwarded: string | undefined = undefined;
}

/** This hop as the gateway sees it. */
export interface HopInfo {
  /** Peer address without the `::ffff:` prefix. */
  peer: string;
  /** Whether the peer is a trusted proxy. */
  trusted: boolean;
  /** Scheme of the connection the request arrived on. */
  scheme: 'http' | 'https';
}

/**
 * Appends `X-Forwarded-For/-Proto/-Host/-Port`, `X-Real-IP` and `Forwarded` (RFC 7239) for this hop
 * to `headers` (a flat `[name, value, ...]` list) and returns the scheme the client used.
 */
export function appendForwardingHeaders(
  headers: string[],
  incoming: IncomingForwarding,
  host: string,
  hop: HopInfo,
  proxies: TrustedProxies,
): 'http' | 'https' {
  const trusted = hop.trusted;
  const priorFor = trusted ? incoming.xForwardedFor : undefined;
  const proto = (trusted && firstProto(incoming.xForwardedProto)) || hop.scheme;
  const ours = `for=${forwardedNode(hop.peer)};host=${quoteIfNeeded(host)};proto=${hop.scheme}`;
  headers.push(
    'x-forwarded-for',
    priorFor ? `${priorFor}, ${hop.peer}` : hop.peer,
    'x-forwarded-proto',
    proto,
    'x-forwarded-host',
    (trusted && incoming.xForwardedHost) || host,
    'x-forwarded-port',
    (trusted && incoming.xForwardedPort) || addressedPort(host, proto),
    'x-real-ip',
    trusted ? (incoming.xRealIp ?? clientFromChain(priorFor, proxies) ?? hop.peer) : hop.peer,
    'forwarded',
    trusted && incoming.forwarded ? `${incoming.forwarded}, ${ours}` : ours,
  );
  return proto;
}

/**
 * The port the client addressed: the Host header's, else the scheme's default (as Traefik does). Not
 * the listener's own port, which differs behind a port mapping (published 80, container 8080), where
 * a backend would build its redirects to a port nobody can reach.
 */
function addressedPort(host: string, proto: 'http' | 'https'): string {
  const colon = host.lastIndexOf(':');
  if (colon > host.lastIndexOf(']') && colon < host.length - 1) return host.slice(colon + 1);
  return proto === 'https' ? '443' : '80';
}

function firstProto(value: string | undefined): 'http' | 'https' | undefined {
  if (value === undefined) return undefined;
  const comma = value.indexOf(',');
  const first = (comma < 0 ? value : value.slice(0, comma)).trim().toLowerCase();
  return first === 'https' || first === 'http' ? first : undefined;
}

/** The right-most address in an `X-Forwarded-For` chain that is not a trusted proxy: the real client. */
function clientFromChain(chain: string | undefined, proxies: TrustedProxies): string | undefined {
  if (!chain) return undefined;
  const hops = chain.split(',');
  let candidate: string | undefined;
  for (let i = hops.length - 1; i >= 0; i--) {
    candidate = hops[i]!.trim();
    if (!proxies.trusts(candidate)) return candidate;
  }
  return candidate;
}

/** RFC 7239 node: IPv6 goes in brackets and quotes (the peer is always an IP literal). */
function forwardedNode(address: string): string {
  return address.includes(':') ? `"[${address}]"` : address;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function quoteIfNeeded(value: string): string {
  return TOKEN.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`;
}
