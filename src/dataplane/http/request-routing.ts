import type { IncomingMessage } from 'node:http';
import type { CompiledRoute, CompiledTable } from '../compiled-table.js';
import { requestStartChannel } from './diagnostics.js';
import type { Entrypoint } from './entrypoint.js';
import type { HttpErrorCode } from './error-responses.js';
import type { ExchangeSettings } from './exchange-settings.js';
import { appendForwardingHeaders } from './forwarding.js';
import { isValidHost } from './host-value.js';
import type { RequestHead } from './request-head.js';
import { normalizePath } from './request-path.js';
import { resolveTarget } from './request-target.js';
import { isChunkedOnly } from './transfer-coding.js';

/** A request that matched a route; its forwarding headers are in `RequestHead.headers`. */
export interface RoutedRequest {
  route: CompiledRoute;
  forwardPath: string;
  /** Host and path+query the request was routed on (the path normalised, see `normalizePath`). */
  host: string;
  pathAndQuery: string;
  /** The client reached the edge over https (own TLS, or a trusted proxy's `X-Forwarded-Proto`). */
  secure: boolean;
}

/** Why a request could not be routed. */
export interface RoutingFailure {
  route: undefined;
  code: HttpErrorCode;
  message: string;
}

function refusal(code: HttpErrorCode, message: string): RoutingFailure {
  return { route: undefined, code, message };
}

const BAD_TARGET = refusal('SG_ERR_BAD_REQUEST', 'invalid request target');
const NO_TABLE = refusal('SG_ERR_NO_UPSTREAM', 'no routing table loaded yet');
const MISSING_HOST = refusal('SG_ERR_BAD_REQUEST', 'HTTP/1.1 request without a Host header');
const DUPLICATE_HOST = refusal('SG_ERR_BAD_REQUEST', 'more than one Host header');
const BAD_HOST = refusal('SG_ERR_BAD_REQUEST', 'invalid Host header');
const TRANSFER_CODING = refusal('SG_ERR_TRANSFER_CODING', 'transfer coding other than chunked');
const NO_ROUTE = refusal('SG_ERR_NO_ROUTE', 'no route matches');

/**
 * Matches a request against `table` and, on a match, appends this hop's forwarding headers to
 * `head.headers` (`peer`: the connection's address, without `::ffff:`). Shared by plain requests and
 * upgrades.
 */
export function routeRequest(
  req: IncomingMessage,
  head: RequestHead,
  table: CompiledTable | undefined,
  settings: ExchangeSettings,
  entrypoint: Entrypoint,
  peer: string,
): RoutedRequest | RoutingFailure {
  // RFC 9112 §3.2: one Host, and a valid one; an HTTP/1.1 request must name its host, HTTP/1.0 ones
  // without a host simply match no route.
  if (head.hostFields > 1) return DUPLICATE_HOST;
  const target = resolveTarget(req.url ?? '', head.host);
  if (target === undefined) return BAD_TARGET;
  if (target.host === '') {
    if (req.httpVersionMinor === 1) return MISSING_HOST;
  } else if (!isValidHost(target.host)) return BAD_HOST;
  // RFC 9112 §6.1: a transfer coding the gateway does not remove is answered 501.
  if (head.chunked && !isChunkedOnly(head.transferEncoding)) return TRANSFER_CODING;
  // Absolute-form: the upstream and the forwarding headers see the host the request is routed on.
  if (target.host !== head.host) head.replaceHost(target.host);
  const pathAndQuery = normalizePath(target.pathAndQuery);
  if (typeof pathAndQuery !== 'string') return refusal('SG_ERR_BAD_REQUEST', pathAndQuery.reason);
  if (table === undefined) return NO_TABLE;
  const match = table.match(target.host, pathAndQuery);
  if (requestStartChannel.hasSubscribers) {
    requestStartChannel.publish({
      method: req.method,
      host: head.host,
      url: req.url,
      routeId: match?.route.route.id,
    });
  }
  if (match === undefined) return NO_ROUTE;
  const proxies = settings.proxies;
  const hop = { peer, trusted: proxies.trusts(peer), scheme: entrypoint.scheme };
  const proto = appendForwardingHeaders(head.headers, head.forwarding, head.host, hop, proxies);
  return {
    route: match.route,
    forwardPath: match.forwardPath,
    host: target.host,
    pathAndQuery,
    secure: proto === 'https',
  };
}
