import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { RoutingTable } from '../routing/table.js';
import {
  type CompiledTable,
  type CompileOptions,
  compileTable,
  compileTableInSlices,
} from './compiled-table.js';
import { BodyPaceGuard } from './http/body-pace-guard.js';
import {
  type ConnectionLimitSettings,
  ConnectionLimits,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  defaultMaxConnections,
} from './http/connection-limits.js';
import { tableSwapChannel } from './http/diagnostics.js';
import type { ExchangeHost, ExchangeSettings } from './http/exchange-settings.js';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './http/http-limits.js';
import { checkAddressFree, HttpListener } from './http/http-listener.js';
import { parseListenAddress } from './http/listen-address.js';
import { acceptSharing, copyListeningSockets } from './http/listening-socket-copies.js';
import { type GatewayRoutesState, routesState } from './http/routes-state.js';
import { TrustedProxies } from './http/trusted-proxies.js';
import { UploadSlots } from './http/upload-slots.js';
import { listenError } from './listen-error.js';
import type { UpstreamRegistry } from './upstreams/upstream-registry.js';

/** How a gateway listens and proxies. */
export interface GatewayOptions {
  /** Entrypoints, `ADDR:PORT` each; IPv6 in brackets (`[::]:8080`). */
  http: readonly string[];
  registry: UpstreamRegistry;
  compile: CompileOptions;
  logger: Logger;
  /** CIDRs whose `X-Forwarded-*`, `X-Real-IP` and `Forwarded` headers are believed. */
  trustedProxies?: readonly string[];
  limits?: Partial<HttpLimits>;
  /**
   * Caps on open client connections of this gateway, over all entrypoints (0 = none). Defaults: half
   * of what the open-file limit leaves (`defaultMaxConnections`), and 512 per client address.
   */
  connectionLimits?: Partial<ConnectionLimitSettings>;
  /** Retries on other upstreams after a retryable failure (default 2). */
  maxRetries?: number;
  /** Connect timeout for upgrade (WebSocket) connections; default 5 s. */
  tunnelConnectTimeoutMs?: number;
  /** Wait for an upstream's answer to an upgrade; default 60 s. */
  tunnelHeadersTimeoutMs?: number;
  /**
   * New connections each entrypoint accepts per event-loop iteration (default 1): above 1, each
   * entrypoint accepts on that many sockets bound with `SO_REUSEPORT`, or on that many descriptors of
   * its socket where node has no `reusePort` (see `acceptSharing`).
   */
  acceptBatch?: number;
}

/**
 * The HTTP data plane: owns the listeners and the current compiled table. `setTable` compiles a new
 * table and swaps it in with one assignment; requests already running keep the table they started with.
 *
 * @example
 * const gateway = new Gateway({ http: ['[::]:80'], registry, compile: { role: 'run', stickySecret }, logger });
 * gateway.setTable(table);
 * await gateway.listen();
 * process.once('SIGTERM', () => gateway.close(10_000));
 */
export class Gateway implements ExchangeHost {
  readonly #options: GatewayOptions;
  readonly #listeners: HttpListener[];
  readonly #connections: ConnectionLimits;
  readonly #tunnels = new Set<Duplex>();
  #table: CompiledTable | undefined;
  /** The last {@link swapTable} asked for; the next one starts after it. */
  #swapping: Promise<unknown> = Promise.resolve();
  #graceExpired = false;
  #listening = false;
  #inflight = 0;
  #closing = false;
  #idle: (() => void) | undefined;

  constructor(options: GatewayOptions) {
    this.#options = options;
    const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
    const proxies = new TrustedProxies(options.trustedProxies ?? []);
    const settings: ExchangeSettings = {
      logger: options.logger,
      proxies,
      maxBodyBytes: limits.maxBodyBytes,
      requestBufferBytes: limits.requestBufferBytes,
      bodyPace: new BodyPaceGuard(limits),
      uploadSlots: new UploadSlots(limits.maxUploadsPerClient),
      maxRetries: options.maxRetries ?? 2,
      tunnelConnectTimeoutMs: options.tunnelConnectTimeoutMs ?? 5_000,
      tunnelHeadersTimeoutMs: options.tunnelHeadersTimeoutMs ?? 60_000,
      maxHeaderBytes: limits.maxHeaderBytes,
    };
    const caps = options.connectionLimits;
    this.#connections = new ConnectionLimits(
      {
        maxConnections: caps?.maxConnections ?? defaultMaxConnections(),
        maxConnectionsPerAddress: caps?.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
      },
      proxies,
      options.logger,
    );
    this.#listeners = options.http.map(
      (spec) => new HttpListener(parseListenAddress(spec), limits, settings, this, this.#connections),
    );
  }

  /** The table requests are routed on now; undefined until the first `setTable`. */
  get table(): CompiledTable | undefined {
    return this.#table;
  }

  /** True once `close` began. */
  get closing(): boolean {
    return this.#closing;
  }

  /** True once `close` ran out of grace and destroys what is still running. */
  get graceExpired(): boolean {
    return this.#graceExpired;
  }

  /** True once `listen` bound every entrypoint. */
  get listening(): boolean {
    return this.#listening;
  }

  /** Client requests and upgraded connections in progress. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Open client connections, over all entrypoints. */
  get connections(): number {
    return this.#connections.open;
  }

  /** The connection caps in effect. */
  get connectionLimits(): Readonly<ConnectionLimitSettings> {
    return this.#connections.settings;
  }

  /**
   * Compiles `table` and makes it current. Returns false (and changes nothing) when its version is
   * the current one. For the first table and tests; later tables go through {@link swapTable}, and the
   * two must not overlap.
   */
  setTable(table: RoutingTable): boolean {
    if (this.#table?.version === table.version) return false;
    this.#makeCurrent(compileTable(table, this.#options.registry, this.#options.compile));
    return true;
  }

  /**
   * {@link setTable} with the compile split into slices between which requests are served: a table of
   * 10,000 routes costs hundreds of ms to compile. Swaps run one after another in call order; resolves
   * (true) once this table is current and the upstreams that left it are retired, or with false when
   * its version already was.
   */
  swapTable(table: RoutingTable): Promise<boolean> {
    const swapped = this.#swapping.then(async () => {
      if (this.#table?.version === table.version) return false;
      const { registry, compile } = this.#options;
      await compileTableInSlices(table, registry, compile, (next) => this.#makeCurrent(next));
      return true;
    });
    this.#swapping = swapped.catch(() => undefined);
    return swapped;
  }

  #makeCurrent(next: CompiledTable): void {
    const previous = this.#table;
    this.#table = next;
    if (tableSwapChannel.hasSubscribers) {
      tableSwapChannel.publish({
        previousVersion: previous?.version,
        version: next.version,
        routes: next.routes.length,
      });
    }
  }

  /**
   * Binds every entrypoint; resolves with the bound addresses in `http` order. A bind that fails
   * rejects with `SG_ERR_CONFIG` naming the entrypoint.
   */
  async listen(): Promise<AddressInfo[]> {
    const batch = this.#options.acceptBatch ?? 1;
    const reusePort = batch > 1 && acceptSharing() === 'reuse-port';
    const bound: AddressInfo[] = [];
    try {
      // One after another: an entrypoint listed twice must find the first one bound, also when
      // SO_REUSEPORT sockets could share the address (see `HttpListener.listen`).
      for (const listener of this.#listeners) {
        bound.push(
          await listener.listen({ reusePort }).catch((err: unknown) => {
            throw listenError('the HTTP entrypoint', listener.address, err);
          }),
        );
      }
    } catch (err) {
      await Promise.all(
        this.#listeners.map((listener) => listener.server.listening && listener.stopAccepting()),
      );
      throw err;
    }
    await this.#acceptInBatches(batch, reusePort);
    this.#listening = true;
    return bound;
  }

  /**
   * For a cluster primary whose workers will listen with `options`: fails with `SG_ERR_CONFIG`, as
   * `listen` does, when an entrypoint's address is in use and the workers' accept batches would bind
   * `SO_REUSEPORT` sockets, which share such an address instead of failing. A worker cannot check it
   * itself: its siblings hold the address.
   */
  static async checkEntrypointsFree(options: Pick<GatewayOptions, 'http' | 'acceptBatch'>): Promise<void> {
    if ((options.acceptBatch ?? 1) <= 1 || acceptSharing() !== 'reuse-port') return;
    for (const entry of options.http) {
      const address = parseListenAddress(entry);
      if (address.port === 0) continue;
      await checkAddressFree(address).catch((err: unknown) => {
        throw listenError('the HTTP entrypoint', address, err);
      });
    }
  }

  /** Descriptors each entrypoint accepts on (the accept batch in effect). */
  get acceptBatch(): number {
    return this.#listeners[0]?.acceptingDescriptors ?? 1;
  }

  async #acceptInBatches(batch: number, reusePort: boolean): Promise<void> {
    if (batch <= 1 || this.#listeners.length === 0) return;
    try {
      if (reusePort) {
        await Promise.all(this.#listeners.map((listener) => listener.acceptAlsoOnReusedPort(batch - 1)));
        return;
      }
      const copies = await copyListeningSockets(
        this.#listeners.map((listener) => listener.server),
        batch - 1,
      );
      await Promise.all(this.#listeners.map((listener, i) => listener.acceptAlsoOn(copies[i]!)));
    } catch (err) {
      // Serving with one accept per iteration is slower under load, not wrong.
      this.#options.logger.warn({ err }, 'accepting one new connection per event-loop iteration');
    }
  }

  /** The bound entrypoints as `ADDR:PORT`. */
  addresses(): string[] {
    return this.#listeners.map((listener) => listener.toString());
  }

  /** The routing table with each upstream's runtime state, for the admin API. */
  routesState(): GatewayRoutesState | undefined {
    return this.#table && routesState(this.#table, this.#options.registry);
  }

  /**
   * Graceful shutdown: stops accepting, lets requests in flight finish (responses ask clients to
   * close their connections) for up to `graceMs`, then destroys whatever is left, upgraded
   * connections included. The upstream registry is the caller's to close afterwards.
   */
  async close(graceMs: number): Promise<void> {
    this.#closing = true;
    const stopped = Promise.all(this.#listeners.map((listener) => listener.stopAccepting()));
    if (this.#inflight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#idle = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
      this.#idle = undefined;
    }
    this.#graceExpired = true;
    for (const listener of this.#listeners) listener.closeAllConnections();
    for (const socket of this.#tunnels) socket.destroy();
    await stopped;
  }

  /** Listener bookkeeping (see `ExchangeHost`): a request or upgrade began. */
  exchangeStarted(): void {
    this.#inflight += 1;
  }

  /** Listener bookkeeping: a request or upgrade ended; during `close`, idle connections go at once. */
  exchangeEnded(): void {
    this.#inflight -= 1;
    if (this.#closing) {
      for (const listener of this.#listeners) listener.closeIdleConnections();
      if (this.#inflight === 0) this.#idle?.();
    }
  }

  /** Listener bookkeeping: an upgraded connection to destroy if the close grace runs out. */
  tunnelOpened(socket: Duplex): void {
    this.#tunnels.add(socket);
  }

  /** Listener bookkeeping: an upgraded connection ended. */
  tunnelClosed(socket: Duplex): void {
    this.#tunnels.delete(socket);
  }
}
