import type { IncomingMessage } from 'node:http';
import type { ErrorCode } from '../../errors.js';
import type { CompiledRoute, CompiledTable, Selection } from '../compiled-table.js';
import type { UpstreamHandle } from '../upstreams/upstream-registry.js';
import { Attempts } from './attempts.js';
import { type RequestEndEvent, requestEndChannel } from './diagnostics.js';
import type { Entrypoint } from './entrypoint.js';
import type { HttpErrorCode } from './error-responses.js';
import type { ExchangeHost, ExchangeSettings } from './exchange-settings.js';
import { httpsLocation } from './https-redirect.js';
import { RequestHead } from './request-head.js';
import { routeRequest } from './request-routing.js';
import { plainAddress } from './trusted-proxies.js';
import {
  classifyUpstreamError,
  type ErrorCause,
  type ExchangePhase,
  type UpstreamErrorKind,
} from './upstream-errors.js';

/** How an exchange goes on after routing. */
export type Opening =
  | { action: 'proxy'; selection: Selection }
  | { action: 'refuse'; code: HttpErrorCode; message: string }
  | { action: 'redirect'; location: string };

const NO_UPSTREAM: Opening = {
  action: 'refuse',
  code: 'SG_ERR_NO_UPSTREAM',
  message: 'no available upstream',
};
const BODY_TOO_LARGE: Opening = {
  action: 'refuse',
  code: 'SG_ERR_BODY_TOO_LARGE',
  message: 'content-length over limit',
};

/**
 * One exchange (a plain request or an upgrade) as both kinds share it: routing, the upstream of each
 * attempt, retries, the log lines of failures and the request-end event. The kinds differ only in how
 * they talk to the client and the upstream (`ProxyExchange` through node's HTTP objects and the pools,
 * `UpgradeTunnel` on raw sockets).
 *
 * @example
 * const record = new ExchangeRecord(req, settings, 'request');
 * const opening = record.open(host.table, entrypoint);
 * if (opening.action === 'proxy') record.attempt(opening.selection);
 */
export class ExchangeRecord {
  readonly req: IncomingMessage;
  readonly head: RequestHead;
  readonly #settings: ExchangeSettings;
  readonly #kind: 'request' | 'upgrade';
  readonly #attempts: Attempts;
  readonly #startedAt: number;
  /** The connection's peer, read up front: routing needs it, and a socket gone by the end has none. */
  readonly #peer: string;
  route: CompiledRoute | undefined;
  /** The client reached the edge over https. */
  secure = false;
  /** Path the upstream gets (after strip-path); set once routed. */
  forwardPath = '';
  /** Request body limit of the route in bytes, 0 = none; set once routed. */
  bodyLimit = 0;
  /** The upstream of the current (or last) attempt. */
  upstream: UpstreamHandle | undefined;
  setCookie: string | undefined;
  /** Set when the exchange ended in an error, including the client going away. */
  errorCode: ErrorCode | undefined;

  constructor(req: IncomingMessage, settings: ExchangeSettings, kind: 'request' | 'upgrade') {
    this.req = req;
    this.#settings = settings;
    this.#kind = kind;
    this.#attempts = new Attempts(settings.maxRetries);
    this.#startedAt = requestEndChannel.hasSubscribers ? performance.now() : 0;
    this.#peer = plainAddress(req.socket.remoteAddress ?? '');
    this.head = new RequestHead(req.rawHeaders);
  }

  /** Routes the request on `table` and picks its first upstream, or says why not. */
  open(table: ExchangeHost['table'], entrypoint: Entrypoint): Opening {
    const head = this.head;
    const routed = routeRequest(this.req, head, table, this.#settings, entrypoint, this.#peer);
    if (routed.route === undefined) return { action: 'refuse', code: routed.code, message: routed.message };
    const route = routed.route;
    this.route = route;
    this.secure = routed.secure;
    this.forwardPath = routed.forwardPath;
    this.bodyLimit = route.route.maxBodyBytes ?? this.#settings.maxBodyBytes;
    if (this.bodyLimit > 0 && head.contentLength > this.bodyLimit) return BODY_TOO_LARGE;
    if (route.route.redirectHttps && !routed.secure) {
      return { action: 'redirect', location: httpsLocation(routed.host, routed.pathAndQuery) };
    }
    const selection = route.select(head.cookie, routed.secure);
    return selection === undefined ? NO_UPSTREAM : { action: 'proxy', selection };
  }

  /** Starts an attempt on `selection`'s upstream and returns that upstream. */
  attempt(selection: Selection): UpstreamHandle {
    const upstream = selection.upstream;
    this.upstream = upstream;
    this.setCookie = selection.setCookie;
    this.#attempts.started();
    upstream.requestStarted();
    return upstream;
  }

  /** Records and logs a refusal decided before any upstream was tried. */
  refused(code: HttpErrorCode, message: string): void {
    this.errorCode = code;
    const req = this.req;
    this.#settings.logger.warn(
      { code, routeId: this.route?.route.id, method: req.method, host: this.head.host, url: req.url },
      message,
    );
  }

  /** Classifies the current upstream's failure and tells its passive health when it is to blame. */
  upstreamFailed(err: ErrorCause, phase: ExchangePhase): UpstreamErrorKind {
    const kind = classifyUpstreamError(err, phase);
    if (kind.failure !== undefined) this.upstream!.reportFailure(kind.failure);
    return kind;
  }

  /**
   * After the current upstream failed: another upstream when the failure allows it (a connect failure
   * always, a reset only when `resendSafe`) and the retry budget is not spent, logged as a retry;
   * otherwise undefined, with the failure recorded and logged. The retry picks from the request's route
   * in `current`, the table in use now: it may list a task that started since the request began (a
   * one-replica start-first update), and no longer lists one that is gone.
   */
  retry(
    kind: UpstreamErrorKind,
    cause: ErrorCause,
    resendSafe: boolean,
    current: CompiledTable | undefined,
  ): Selection | undefined {
    const retryable = kind.retry === 'always' || (kind.retry === 'bodyless-idempotent' && resendSafe);
    if (retryable) this.route = sameRouteIn(current, this.route!);
    const next = this.#attempts.next(
      this.route!,
      this.head.cookie,
      this.secure,
      this.upstream!.id,
      retryable,
      kind.code,
      kind.connectionOnly,
    );
    if (next !== undefined) {
      this.#settings.logger.warn(
        this.#failureLog(kind.code, cause),
        kind.connectionOnly
          ? `retrying the ${this.#kind}: the upstream had closed the reused connection`
          : `retrying the ${this.#kind} on another upstream`,
      );
      return next;
    }
    this.failed(
      kind.code,
      cause,
      this.#kind === 'request' ? 'upstream request failed' : 'upgrade to the upstream failed',
    );
    return undefined;
  }

  /** Records that the exchange ended with the current upstream's failure `code`, and logs it. */
  failed(code: ErrorCode, cause: ErrorCause, message: string): void {
    this.errorCode = code;
    this.#settings.logger.warn(this.#failureLog(code, cause), message);
  }

  #failureLog(code: ErrorCode, cause: ErrorCause): Record<string, unknown> {
    return {
      code,
      routeId: this.route?.route.id,
      upstreamId: this.upstream?.id,
      attempt: this.#attempts.count,
      method: this.req.method,
      host: this.head.host,
      upgrade: this.#kind === 'upgrade' ? this.head.upgrade : undefined,
      cause: cause.code ?? cause.message,
    };
  }

  /** Publishes the request-end event, when anyone listens; `status` 0 = the client went away first. */
  publishEnd(status: number): void {
    if (!requestEndChannel.hasSubscribers) return;
    const req = this.req;
    const event: RequestEndEvent = {
      client: this.head.forwardedClient() ?? this.#peer,
      peer: this.#peer,
      method: req.method ?? '',
      host: this.head.host,
      url: req.url ?? '',
      routeId: this.route?.route.id,
      upstreamId: this.upstream?.id,
      status,
      durationMs: this.#startedAt === 0 ? 0 : performance.now() - this.#startedAt,
      retries: this.#attempts.retries,
      errorCode: this.errorCode,
      upgrade: this.#kind === 'upgrade',
    };
    requestEndChannel.publish(event);
  }
}

/** The route with `route`'s id in `current`; `route` itself when there is no table or the route is gone. */
function sameRouteIn(current: CompiledTable | undefined, route: CompiledRoute): CompiledRoute {
  if (current === undefined) return route;
  const id = route.route.id;
  return current.routes.find((r) => r.route.id === id) ?? route;
}
