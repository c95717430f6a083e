import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  type AddressInfo,
  createServer as createNetServer,
  isIP,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { Duplex } from 'node:stream';
import { clientErrorHandler, connectMethodHandler } from './client-errors.js';
import type { ConnectionLimits } from './connection-limits.js';
import type { Entrypoint } from './entrypoint.js';
import { sendInternalError } from './error-responses.js';
import type { ExchangeHost, ExchangeSettings } from './exchange-settings.js';
import { type HttpLimits, serverOptions } from './http-limits.js';
import { formatListenAddress, type ListenAddress } from './listen-address.js';
import type { ListeningSocketCopy } from './listening-socket-copies.js';
import { PipelineOrder } from './pipeline-order.js';
import { type Expectation, ProxyExchange } from './proxy-exchange.js';
import { UpgradeTunnel } from './upgrade-tunnel.js';

/**
 * One HTTP entrypoint: a node server on one address whose requests and upgrades are proxied through
 * the gateway (`host`). Requests with `Expect: 100-continue` are routed before the client is told to
 * send its body, so a refused request never uploads it.
 *
 * @example
 * const listener = new HttpListener(parseListenAddress('[::]:8080'), limits, settings, gateway, connections);
 * await listener.listen();
 */
export class HttpListener {
  readonly address: ListenAddress;
  readonly server: Server;
  readonly #settings: ExchangeSettings;
  readonly #host: ExchangeHost;
  readonly #entrypoint: Entrypoint = { scheme: 'http' };
  /** Servers on further descriptors of the same socket; they hand their connections to `server`. */
  readonly #acceptors: NetServer[] = [];
  readonly #pipeline = new PipelineOrder();

  constructor(
    address: ListenAddress,
    limits: HttpLimits,
    settings: ExchangeSettings,
    host: ExchangeHost,
    connections: ConnectionLimits,
  ) {
    this.address = address;
    this.#settings = settings;
    this.#host = host;
    this.server = createServer(serverOptions(limits));
    // Every connection, accepted here or on a copy (`#injectConnection`), passes the caps first.
    connections.guard(this.server);
    // Node keeps only the first 2000 header lines by default and drops the rest unseen (a late
    // `Transfer-Encoding` included, so a body would be lost); the head size limit bounds them instead.
    this.server.maxHeadersCount = 0;
    this.server.on('request', this.#onRequest);
    // Node reads `Expect` only from HTTP/1.1 requests: an HTTP/1.0 client, which knows no 1xx
    // (RFC 9110 §15.2), comes as a plain `request`.
    this.server.on('checkContinue', this.#onCheckContinue);
    // Without this listener node answers any other `Expect` with a bare 417, unlogged and uncounted.
    this.server.on('checkExpectation', this.#onCheckExpectation);
    this.server.on('upgrade', this.#onUpgrade);
    this.server.on('clientError', clientErrorHandler(settings.logger));
    this.server.on('connect', connectMethodHandler(settings.logger));
  }

  /** Binds; resolves with the bound address (useful with port 0). */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const server = this.server;
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      // `[::]` takes only IPv6, as in nginx: `--http 0.0.0.0:80 --http '[::]:80'` is then two sockets,
      // where a dual-stack `[::]` would make the second bind fail with EADDRINUSE.
      const ipv6Only = isIP(this.address.host) === 6;
      server.listen({ host: this.address.host, port: this.address.port, ipv6Only }, () => {
        server.off('error', onError);
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /**
   * Accepts on further descriptors of the bound socket too (see `copyListeningSockets`): each one adds
   * an accepted connection per event-loop iteration. Their connections are served like the others.
   */
  async acceptAlsoOn(copies: readonly ListeningSocketCopy[]): Promise<void> {
    for (const [i, copy] of copies.entries()) {
      // A close that came first (a signal during start-up) wins: no copy may accept after it.
      if (!this.server.listening) {
        copy.close();
        continue;
      }
      // `noDelay` as node's HTTP server sets it on the connections it accepts itself.
      const acceptor = createNetServer({ noDelay: true }, this.#injectConnection);
      this.#acceptors.push(acceptor);
      try {
        await new Promise<void>((resolve, reject) => {
          acceptor.once('error', reject);
          acceptor.listen(copy, () => {
            acceptor.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        for (const rest of copies.slice(i + 1)) rest.close();
        throw err;
      }
    }
  }

  /** Descriptors this listener accepts on: 1 plus those added by `acceptAlsoOn`. */
  get acceptingDescriptors(): number {
    return 1 + this.#acceptors.length;
  }

  /** The address as `ADDR:PORT` with the bound port. */
  toString(): string {
    const bound = this.server.address() as AddressInfo | null;
    return formatListenAddress({ host: this.address.host, port: bound?.port ?? this.address.port });
  }

  /** Stops accepting connections and closes idle keep-alive ones; resolves once every connection is gone. */
  stopAccepting(): Promise<void> {
    // Each server counts the connections it accepted itself, so each one's close waits for its own.
    const servers: NetServer[] = [this.server, ...this.#acceptors];
    const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    this.server.closeIdleConnections();
    return Promise.all(closed).then(() => undefined);
  }

  /** Closes connections that became idle since `stopAccepting`. */
  closeIdleConnections(): void {
    this.server.closeIdleConnections();
  }

  /** Destroys every remaining HTTP connection (the grace period ran out). */
  closeAllConnections(): void {
    this.server.closeAllConnections();
  }

  readonly #injectConnection = (socket: Socket): void => {
    this.server.emit('connection', socket);
  };

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.#proxy(req, res, 'none');
  };

  readonly #onCheckContinue = (req: IncomingMessage, res: ServerResponse): void => {
    this.#proxy(req, res, 'continue');
  };

  readonly #onCheckExpectation = (req: IncomingMessage, res: ServerResponse): void => {
    this.#proxy(req, res, 'unsupported');
  };

  #proxy(req: IncomingMessage, res: ServerResponse, expectation: Expectation): void {
    this.#pipeline.whenReady(
      req,
      res,
      () => this.#start(req, res, expectation),
      () => this.#settings.logger.debug({ url: req.url }, 'pipelined request dropped: its connection closes'),
    );
  }

  #start(req: IncomingMessage, res: ServerResponse, expectation: Expectation): void {
    try {
      new ProxyExchange(req, res, this.#settings, this.#host, this.#entrypoint).start(expectation);
    } catch (err) {
      // A bug must cost one request, not the process.
      this.#settings.logger.error(
        { code: 'SG_ERR_INTERNAL', err, url: req.url },
        'internal error while handling a request',
      );
      sendInternalError(res);
    }
  }

  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    try {
      new UpgradeTunnel(req, socket as Socket, head, this.#settings, this.#host, this.#entrypoint).start();
    } catch (err) {
      this.#settings.logger.error({ err, url: req.url }, 'internal error while handling an upgrade');
      socket.destroy();
    }
  };
}
