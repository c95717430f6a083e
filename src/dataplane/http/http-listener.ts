import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { clientErrorHandler } from './client-errors.js';
import type { Entrypoint } from './entrypoint.js';
import { sendInternalError } from './error-responses.js';
import type { ExchangeHost, ExchangeSettings } from './exchange-settings.js';
import { type HttpLimits, serverOptions } from './http-limits.js';
import { formatListenAddress, type ListenAddress } from './listen-address.js';
import { ProxyExchange } from './proxy-exchange.js';
import { UpgradeTunnel } from './upgrade-tunnel.js';

/**
 * One HTTP entrypoint: a node server on one address whose requests and upgrades are proxied through
 * the gateway (`host`). Requests with `Expect: 100-continue` are routed before the client is told to
 * send its body, so a refused request never uploads it.
 *
 * @example
 * const listener = new HttpListener(parseListenAddress('[::]:8080'), limits, settings, gateway);
 * await listener.listen();
 */
export class HttpListener {
  readonly address: ListenAddress;
  readonly server: Server;
  readonly #settings: ExchangeSettings;
  readonly #host: ExchangeHost;
  readonly #entrypoint: Entrypoint = { scheme: 'http', port: 0 };

  constructor(address: ListenAddress, limits: HttpLimits, settings: ExchangeSettings, host: ExchangeHost) {
    this.address = address;
    this.#settings = settings;
    this.#host = host;
    this.server = createServer(serverOptions(limits));
    this.server.on('request', this.#onRequest);
    this.server.on('checkContinue', this.#onRequest);
    this.server.on('upgrade', this.#onUpgrade);
    this.server.on('clientError', clientErrorHandler(settings.logger));
  }

  /** Binds; resolves with the bound address (useful with port 0). */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const server = this.server;
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen({ host: this.address.host, port: this.address.port }, () => {
        server.off('error', onError);
        const bound = server.address() as AddressInfo;
        this.#entrypoint.port = bound.port;
        resolve(bound);
      });
    });
  }

  /** The address as `ADDR:PORT` with the bound port. */
  toString(): string {
    const bound = this.server.address() as AddressInfo | null;
    return formatListenAddress({ host: this.address.host, port: bound?.port ?? this.address.port });
  }

  /** Stops accepting connections and closes idle keep-alive ones; resolves once every connection is gone. */
  stopAccepting(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    return closed;
  }

  /** Closes connections that became idle since `stopAccepting`. */
  closeIdleConnections(): void {
    this.server.closeIdleConnections();
  }

  /** Destroys every remaining HTTP connection (the grace period ran out). */
  closeAllConnections(): void {
    this.server.closeAllConnections();
  }

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      new ProxyExchange(req, res, this.#settings, this.#host, this.#entrypoint).start();
    } catch (err) {
      // A bug must cost one request, not the process.
      this.#settings.logger.error(
        { code: 'SG_ERR_INTERNAL', err, url: req.url },
        'internal error while handling a request',
      );
      sendInternalError(res);
    }
  };

  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    try {
      new UpgradeTunnel(req, socket as Socket, head, this.#settings, this.#host, this.#entrypoint).start();
    } catch (err) {
      this.#settings.logger.error({ err, url: req.url }, 'internal error while handling an upgrade');
      socket.destroy();
    }
  };
}
