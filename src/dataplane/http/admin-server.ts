import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import type { Logger } from 'pino';
import { SwarmgateError } from '../../errors.js';
import { listenError } from '../listen-error.js';
import { formatListenAddress, isLoopback, type ListenAddress, parseListenAddress } from './listen-address.js';
import type { GatewayRoutesState } from './routes-state.js';

/** What the admin API reports on; `Gateway` provides it. */
export interface AdminSource {
  /** The table in use with runtime state per upstream; undefined before the first table. */
  routesState(): GatewayRoutesState | undefined;
  readonly inflight: number;
  /** Open client connections on the entrypoints. */
  readonly connections: number;
  /** Entrypoints are bound: a ready answer must mean clients can connect. */
  readonly listening: boolean;
  readonly closing: boolean;
}

/** Admin listener settings. */
export interface AdminServerOptions {
  /** `ADDR:PORT`; default `127.0.0.1:9180`. A non-loopback address requires `token`. */
  listen?: string;
  /**
   * Bearer token required on `/api/*` and `/metrics` when set. Without one, those answer only requests
   * whose `Host` is a loopback name or address (see {@link isLoopbackHost}).
   */
  token?: string;
  source: AdminSource;
  /** Discovery / table-source status for `/api/status` (JSON-serializable). */
  discoveryStatus?: () => unknown;
  /** Prometheus text exposition for `GET /metrics`; without it, `/metrics` is 404. */
  metrics?: () => Promise<string>;
  logger: Logger;
}

export const DEFAULT_ADMIN_LISTEN = '127.0.0.1:9180';
const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The admin API: `GET /healthz` (200 while the process serves), `GET /readyz` (200 once a table is
 * loaded and the entrypoints are bound, else 503), `GET /api/routes` (table + runtime state per upstream) and `GET /api/status`
 * (table version, in-flight requests, discovery status), and `GET /metrics` (Prometheus) when metrics
 * are on. `/api/*` and `/metrics` need `Authorization: Bearer <token>` when a token is configured;
 * without a token they answer only a loopback `Host` (DNS rebinding), and anything else gets 421.
 * Probes need neither.
 *
 * @example
 * const admin = new AdminServer({ source: gateway, logger, discoveryStatus: () => discovery.status() });
 * await admin.listen();
 */
export class AdminServer {
  readonly address: ListenAddress;
  readonly #server: Server;
  readonly #options: AdminServerOptions;
  readonly #tokenDigest: Buffer | undefined;

  constructor(options: AdminServerOptions) {
    this.address = parseListenAddress(options.listen ?? DEFAULT_ADMIN_LISTEN);
    if (!isLoopback(this.address.host) && !options.token) {
      throw new SwarmgateError(
        'SG_ERR_CONFIG',
        `the admin API may listen on ${formatListenAddress(this.address)} (not loopback) only with a token`,
      );
    }
    this.#options = options;
    this.#tokenDigest = options.token ? digest(options.token) : undefined;
    this.#server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, this.#onRequest);
  }

  /** Binds; resolves with the bound address, or rejects with `SG_ERR_CONFIG` naming the admin API. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(listenError('the admin API', this.address, err));
      this.#server.once('error', onError);
      this.#server.listen({ host: this.address.host, port: this.address.port }, () => {
        this.#server.off('error', onError);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  /** Stops the listener and drops its connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (!this.#hostAllowed(req, path)) {
      reply(res, 421, {
        error: 'without a token, the admin API answers only Host localhost or a loopback address',
      });
      return;
    }
    const metrics = this.#options.metrics;
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    if (metrics !== undefined && path === '/metrics' && readOnly) {
      void this.#serveMetrics(req, res, metrics);
      return;
    }
    const [status, body] = this.#answer(req, path);
    if (status === 401) res.setHeader('www-authenticate', 'Bearer');
    // RFC 9110 §15.5.6: a 405 names the methods the resource does support.
    if (status === 405) res.setHeader('allow', 'GET, HEAD');
    reply(res, status, body);
  };

  async #serveMetrics(req: IncomingMessage, res: ServerResponse, metrics: () => Promise<string>) {
    if (!this.#authorized(req)) {
      res.setHeader('www-authenticate', 'Bearer');
      reply(res, 401, { error: 'a valid bearer token is required' });
      return;
    }
    let text: string;
    try {
      text = await metrics();
    } catch (err) {
      // In cluster mode a worker that does not answer in time fails the whole scrape.
      this.#options.logger.warn({ err }, 'metrics could not be collected');
      reply(res, 503, { error: 'metrics could not be collected' });
      return;
    }
    res.writeHead(200, {
      'content-type': PROMETHEUS_CONTENT_TYPE,
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(text);
  }

  #answer(req: IncomingMessage, path: string): [number, unknown] {
    if (req.method !== 'GET' && req.method !== 'HEAD') return [405, { error: 'method not allowed' }];
    const source = this.#options.source;
    switch (path) {
      case '/healthz':
        return [200, { status: 'ok' }];
      case '/readyz': {
        const ready = source.listening && source.routesState() !== undefined && !source.closing;
        return [ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' }];
      }
      case '/api/routes':
      case '/api/status':
        if (!this.#authorized(req)) return [401, { error: 'a valid bearer token is required' }];
        return [200, path === '/api/routes' ? (source.routesState() ?? null) : this.#status()];
      default:
        return [404, { error: 'not found' }];
    }
  }

  #status(): unknown {
    const { source, discoveryStatus } = this.#options;
    const state = source.routesState();
    return {
      tableVersion: state?.version ?? null,
      routes: state?.routes.length ?? 0,
      inflight: source.inflight,
      connections: source.connections,
      closing: source.closing,
      discovery: discoveryStatus?.() ?? null,
    };
  }

  /**
   * DNS rebinding: a web page whose name the attacker re-points at 127.0.0.1 reaches this listener from
   * the user's browser, with its own name in `Host`. Without a token only loopback names pass. The
   * probes reveal nothing and are called by address from health checkers, so they always pass.
   */
  #hostAllowed(req: IncomingMessage, path: string): boolean {
    if (this.#tokenDigest !== undefined || path === '/healthz' || path === '/readyz') return true;
    if (isLoopbackHost(req.headers.host)) return true;
    this.#options.logger.warn(
      { code: 'SG_ERR_ADMIN_HOST', host: req.headers.host, url: req.url },
      'admin request for a host that is not loopback refused',
    );
    return false;
  }

  #authorized(req: IncomingMessage): boolean {
    const expected = this.#tokenDigest;
    if (expected === undefined) return true;
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null) {
      this.#options.logger.info({ code: 'SG_ERR_BAD_REQUEST', url: req.url }, 'admin request without token');
      return false;
    }
    const ok = timingSafeEqual(digest(match[1]!), expected);
    if (!ok)
      this.#options.logger.warn(
        { code: 'SG_ERR_BAD_REQUEST', url: req.url },
        'admin request with a wrong token',
      );
    return ok;
  }
}

const HOST_FIELD = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::\d{0,5})?$/;

/**
 * Whether a `Host` field value names this machine's loopback, with an optional port: `localhost` and
 * names under `.localhost` (RFC 6761 §6.3: browsers resolve them to loopback themselves, so no DNS
 * answer can re-point them), 127.0.0.0/8 and `[::1]`. No `Host` at all (HTTP/1.0) passes too: the
 * browsers that DNS rebinding works through always send one.
 *
 * @example
 * isLoopbackHost('localhost:9180'); // true
 * isLoopbackHost('[::1]:9180'); // true
 * isLoopbackHost('rebind.attacker.example:9180'); // false
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return true;
  const match = HOST_FIELD.exec(host);
  if (match === null) return false;
  const [, literal, name] = match;
  if (literal !== undefined) return isIP(literal) === 6 && isLoopback(literal);
  const lower = name!.toLowerCase();
  if (isIP(lower) === 4) return isLoopback(lower);
  return lower === 'localhost' || lower.endsWith('.localhost');
}

/** Fixed-length digest so tokens compare in constant time whatever their length. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
