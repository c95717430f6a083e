import cluster from 'node:cluster';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  type AddressInfo,
  createServer as createNetServer,
  isIP,
  type ListenOptions,
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
import { type ListeningSocketCopy, reusePortListenOptions } from './listening-socket-copies.js';
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
  /** The requests of each connection, in order and bounded. */
  readonly #pipeline: PipelineOrder;

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
    this.#pipeline = new PipelineOrder(settings.logger);
    this.server = createServer(serverOptions(limits));
    // Every connection, accepted here or on a copy (`#injectConnection`), passes the caps first.
    connections.guard(this.server);
    // Node's default takes about 1000 header lines: Node 20 drops the rest unseen (a late
    // `Transfer-Encoding` included, so a body would be lost), Node 22 and later answer 431. The head
    // size limit bounds them instead.
    this.server.maxHeadersCount = 0;
    this.server.on('request', this.#onRequest);
    // Node reads `Expect` only from HTTP/1.1 requests: an HTTP/1.0 client, which knows no 1xx
    // (RFC 9110 §15.2), comes as a plain `request`.
    this.server.on('checkContinue', this.#onCheckContinue);
    // Without this listener node answers any other `Expect` with a bare 417, unlogged and uncounted.
    this.server.on('checkExpectation', this.#onCheckExpectation);
    this.server.on('upgrade', this.#onUpgrade);
    this.server.on('clientError', clientErrorHandler(settings.logger, this.#pipeline));
    this.server.on('connect', connectMethodHandler(settings.logger, this.#pipeline));
  }

  /**
   * Binds; resolves with the bound address (useful with port 0). With `reusePort` the socket is bound
   * with `SO_REUSEPORT`, so that `acceptAlsoOnReusedPort` can bind more sockets to the address.
   */
  async listen(options: { reusePort?: boolean } = {}): Promise<AddressInfo> {
    const address = listenOptions(this.address);
    if (options.reusePort) {
      // Cluster workers share the address on purpose (the primary checked it), and a port the kernel
      // picks is free.
      if (address.port !== 0 && !cluster.isWorker) await checkAddressFree(this.address);
      await bind(this.server, reusePortListenOptions(address));
    } else {
      await bind(this.server, address);
    }
    return this.server.address() as AddressInfo;
  }

  /**
   * Accepts on further descriptors of the bound socket too (see `copyListeningSockets`): each one adds
   * an accepted connection per event-loop iteration. Their connections are served like the others.
   */
  async acceptAlsoOn(copies: readonly ListeningSocketCopy[]): Promise<void> {
    for (const [i, copy] of copies.entries()) {
      try {
        if (!(await this.#addAcceptor(copy))) copy.close();
      } catch (err) {
        for (const rest of copies.slice(i + 1)) rest.close();
        throw err;
      }
    }
  }

  /**
   * Accepts on `count` more sockets bound to the address with `SO_REUSEPORT` (after
   * `listen({ reusePort: true })`): each one adds an accepted connection per event-loop iteration, and
   * the kernel spreads new connections among the sockets. Their connections are served like the others.
   */
  async acceptAlsoOnReusedPort(count: number): Promise<void> {
    const bound = this.server.address() as AddressInfo | null;
    if (bound === null) return;
    const options = reusePortListenOptions(listenOptions(this.address, bound.port));
    for (let i = 0; i < count; i++) await this.#addAcceptor(options);
  }

  /** Descriptors this listener accepts on: 1 plus those added by `acceptAlsoOn` or `acceptAlsoOnReusedPort`. */
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

  /** Starts a server on `target` that hands its connections to `server`; false once closing. */
  async #addAcceptor(target: ListeningSocketCopy | ListenOptions): Promise<boolean> {
    // A close that came first (a signal during start-up) wins: nothing may accept after it.
    if (!this.server.listening) return false;
    // `noDelay` as node's HTTP server sets it on the connections it accepts itself.
    const acceptor = createNetServer({ noDelay: true }, this.#injectConnection);
    this.#acceptors.push(acceptor);
    await bind(acceptor, target);
    return true;
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
    this.#pipeline.whenReady(req, res, () => this.#start(req, res, expectation));
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
    // Node stopped listening for the socket's errors when it handed it over.
    socket.on('error', ignoreError);
    const drop = (): void => {
      this.#settings.logger.debug({ url: req.url }, 'pipelined request dropped: its connection closes');
      // Else it closes after the responses ahead.
      if (!this.#pipeline.hasResponsesAhead(socket)) socket.destroy();
    };
    if (!this.#pipeline.handOver(socket)) {
      drop();
      return;
    }
    // Node hands an upgrade over at once, while responses to requests pipelined ahead of it may still be
    // going out on its connection: the tunnel's answer must come after them (RFC 9112 §9.3.2).
    this.#pipeline.afterResponsesAhead(
      socket,
      () => false,
      () => (socket.writable ? this.#tunnel(req, socket, head) : drop()),
    );
  };

  #tunnel(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      new UpgradeTunnel(req, socket as Socket, head, this.#settings, this.#host, this.#entrypoint).start();
    } catch (err) {
      this.#settings.logger.error({ err, url: req.url }, 'internal error while handling an upgrade');
      socket.destroy();
    }
  }
}

/**
 * Rejects with the bind error when `address` is in use: binds it without `SO_REUSEPORT`, then lets
 * go. Any socket of the same user with `SO_REUSEPORT` may join an address, so before binding such
 * sockets this keeps a second gateway on the address a failure (EADDRINUSE), not a silent share of
 * its connections.
 */
export async function checkAddressFree(address: ListenAddress): Promise<void> {
  const probe = createNetServer();
  await bind(probe, listenOptions(address));
  await new Promise((resolve) => probe.close(resolve));
}

function listenOptions(address: ListenAddress, port = address.port): ListenOptions {
  // `[::]` takes only IPv6, as in nginx: `--http 0.0.0.0:80 --http '[::]:80'` is then two sockets,
  // where a dual-stack `[::]` would make the second bind fail with EADDRINUSE.
  return { host: address.host, port, ipv6Only: isIP(address.host) === 6 };
}

/** Listens on `target` (an address, or a listening handle); resolves once bound. */
function bind(server: NetServer, target: ListenOptions | ListeningSocketCopy): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(target, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function ignoreError(): void {}
