import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import { addressKey } from './client-address-key.js';
import { type ConnectionRefusedEvent, connectionRefusedChannel } from './diagnostics.js';
import type { TrustedProxies } from './trusted-proxies.js';

/** Caps on open client connections; 0 turns a cap off. */
export interface ConnectionLimitSettings {
  /** Open client connections of this process, over all its entrypoints. */
  maxConnections: number;
  /** Open client connections from one IPv4 address or one IPv6 /64; trusted proxies are exempt. */
  maxConnectionsPerAddress: number;
}

/** Which cap refused a connection (the `reason` of refusal events and metrics). */
export type ConnectionLimitReason = ConnectionRefusedEvent['reason'];

/** A few hundred: more than a browser or a small office NAT keeps open, far fewer than a flood. */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 512;

/** Descriptors kept out of the default cap: listeners and their copies, logs, admin, Docker, DNS. */
const RESERVED_DESCRIPTORS = 256;
/** The default cap where the open-file limit cannot be read (not Linux). */
const FALLBACK_MAX_CONNECTIONS = 10_000;
/** Refusals come in floods: one log line per reason in this interval, with the count since the last. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

/**
 * The default `maxConnections`: half of what this process's open-file limit leaves after a reserve, as
 * HAProxy derives its `maxconn`, because an admitted connection may hold an upstream connection too (a
 * request in flight, a tunnel). Past the limit node could accept nothing and connect nowhere (EMFILE).
 * Node raises its soft limit to the hard one at start-up, so this reads the raised one.
 */
export function defaultMaxConnections(): number {
  let limits: string;
  try {
    limits = readFileSync('/proc/self/limits', 'latin1');
  } catch {
    return FALLBACK_MAX_CONNECTIONS;
  }
  const openFiles = /^Max open files\s+(\d+)/m.exec(limits);
  if (openFiles === null) return FALLBACK_MAX_CONNECTIONS;
  return Math.max(1, Math.floor((Number(openFiles[1]) - RESERVED_DESCRIPTORS) / 2));
}

/**
 * Counts open client connections and refuses those over a cap, before the HTTP server sees them: a
 * refused connection is reset at once (no parser, no write, and no TIME_WAIT left on this side, as
 * HAProxy's `tcp-request connection reject`), so a connection flood costs little more than its accepts.
 * One instance serves all entrypoints of a gateway. Connections are counted per peer address: one
 * IPv4 address, or one IPv6 /64 (what a single host is usually given, and picks addresses from at
 * will). Peers in the trusted proxies carry many clients, so only the total cap applies to them.
 *
 * @example
 * const limits = new ConnectionLimits({ maxConnections: 10_000, maxConnectionsPerAddress: 512 }, proxies, logger);
 * limits.guard(httpServer);
 */
export class ConnectionLimits {
  readonly #settings: ConnectionLimitSettings;
  readonly #proxies: TrustedProxies;
  readonly #logger: Logger;
  readonly #byAddress = new Map<string, number>();
  /** The address key each counted connection holds a slot under (none when the per-address cap is off). */
  readonly #keys = new WeakMap<Socket, string>();
  /**
   * One `close` listener for every connection (an emitter calls it with the socket as `this`): a
   * closure and a `once` wrapper per connection cost ~0.25 KB of heap for each idle one.
   */
  readonly #onClose: (this: Socket) => void;
  #open = 0;
  readonly #refusalLog = {
    total: { lastAt: -Infinity, unlogged: 0 },
    per_address: { lastAt: -Infinity, unlogged: 0 },
  };

  constructor(settings: ConnectionLimitSettings, proxies: TrustedProxies, logger: Logger) {
    this.#settings = settings;
    this.#proxies = proxies;
    this.#logger = logger;
    const release = (socket: Socket): void => this.#release(socket);
    this.#onClose = function (this: Socket) {
      release(this);
    };
  }

  /** The caps in effect. */
  get settings(): Readonly<ConnectionLimitSettings> {
    return this.#settings;
  }

  /** Client connections open now (admitted and not yet closed). */
  get open(): number {
    return this.#open;
  }

  /** Client addresses (IPv6: /64 prefixes) counted now; those without open connections are forgotten. */
  get addresses(): number {
    return this.#byAddress.size;
  }

  /**
   * Puts the caps in front of `server`: its `connection` listeners (for an HTTP server, node's own,
   * which sets up the parser) run only for admitted connections. Call it before adding other
   * `connection` listeners. Connections emitted on `server` by hand pass through the caps too.
   */
  guard(server: Server): void {
    const serve = server.listeners('connection') as ((socket: Socket) => void)[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: Socket) => {
      if (!this.admit(socket)) return;
      for (const listener of serve) listener.call(server, socket);
    });
  }

  /** Counts `socket` in and returns true, or resets it and returns false; its close frees its slot. */
  admit(socket: Socket): boolean {
    const { maxConnections, maxConnectionsPerAddress } = this.#settings;
    if (maxConnections > 0 && this.#open >= maxConnections) return this.#refuse(socket, 'total', undefined);
    const peer = socket.remoteAddress;
    let key: string | undefined;
    if (maxConnectionsPerAddress > 0 && peer !== undefined && !this.#proxies.trusts(peer)) {
      key = addressKey(peer);
      const count = this.#byAddress.get(key) ?? 0;
      if (count >= maxConnectionsPerAddress) return this.#refuse(socket, 'per_address', key);
      this.#byAddress.set(key, count + 1);
      this.#keys.set(socket, key);
    }
    this.#open += 1;
    socket.on('close', this.#onClose);
    return true;
  }

  #release(socket: Socket): void {
    this.#open -= 1;
    const key = this.#keys.get(socket);
    if (key === undefined) return;
    this.#keys.delete(socket);
    const count = this.#byAddress.get(key)! - 1;
    if (count === 0) this.#byAddress.delete(key);
    else this.#byAddress.set(key, count);
  }

  #refuse(socket: Socket, reason: ConnectionLimitReason, address: string | undefined): false {
    // Nobody else listens on a refused socket: an error while it is reset must not reach the process.
    socket.on('error', ignore);
    socket.resetAndDestroy();
    if (connectionRefusedChannel.hasSubscribers) {
      connectionRefusedChannel.publish({ reason, address } satisfies ConnectionRefusedEvent);
    }
    const log = this.#refusalLog[reason];
    log.unlogged += 1;
    const now = performance.now();
    if (now - log.lastAt >= REFUSAL_LOG_INTERVAL_MS) {
      const { maxConnections, maxConnectionsPerAddress } = this.#settings;
      this.#logger.warn(
        {
          code: 'SG_ERR_CONNECTION_LIMIT',
          reason,
          limit: reason === 'total' ? maxConnections : maxConnectionsPerAddress,
          ...(address !== undefined ? { address } : {}),
          refused: log.unlogged,
        },
        'refused client connections over a connection limit',
      );
      log.lastAt = now;
      log.unlogged = 0;
    }
    return false;
  }
}

function ignore(): void {}
