import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';

/**
 * Requests a connection may have accepted and not yet answered: the one being answered and those
 * queued behind it. Reading from the connection stops at this many.
 */
export const MAX_PIPELINED_REQUESTS = 32;

/**
 * Requests past the bound that node may still hand over (the rest of what it read at once, 64 KiB at a
 * time) before the connection is destroyed outright rather than closed after its accepted requests:
 * each one holds node's request and response objects (about 3 KB) until the connection closes.
 */
export const MAX_DROPPED_REQUESTS = 1024;

/**
 * How long a connection closed for pipelining past the bound stays open after its last answer, so that
 * the client reads the answers before the unread requests make the close a reset.
 */
const LINGER_MS = 5_000;

/** An accepted request: its response, and how to start its exchange until it is started. */
interface Accepted {
  readonly res: ServerResponse;
  start: (() => void) | null;
}

/** Why a connection takes no more requests: a response ahead closes it, or its client pipelined past the bound. */
type Closing = 'response' | 'overflow';

/** The gateway's own view of one client connection's requests. */
interface Connection {
  readonly socket: Duplex;
  /** Accepted requests not yet answered, oldest first: the first one's response holds the socket. */
  readonly accepted: Accepted[];
  /** Callbacks to run when the first accepted response is done (refusals waiting for their turn). */
  waiting: (() => void)[];
  /** The last request node handed over, accepted or dropped. */
  last: IncomingMessage | null;
  closing: Closing | null;
  dropped: number;
  paused: boolean;
  /** Whether the listener that keeps a paused connection paused is on. */
  repausing: boolean;
}

/**
 * Pipelined requests (RFC 9112 §9.3.2) run one at a time, in order, as nginx and HAProxy run them, and
 * at most `MAX_PIPELINED_REQUESTS` of them per connection are accepted at once. Node parses a whole
 * read at once and hands over every request in it, queueing the responses; so the gateway keeps its own
 * first-in-first-out list per connection, with constant work per request.
 *
 * - A request that arrives while an earlier response on its connection is under way starts once that
 *   response is done. It is dropped, unprocessed, when that response closed the connection or the
 *   client left first (RFC 9112 §9.6 forbids processing it; the client resends it, §9.3.2).
 * - At the bound, reading pauses. Node still hands over the rest of what it already read: requests
 *   past the bound are dropped unprocessed, and the connection closes once the accepted ones are
 *   answered (the client resends the rest). Past `MAX_DROPPED_REQUESTS`, it is destroyed at once.
 * - Answers written on the connection itself (client errors, CONNECT, upgrades) wait for the responses
 *   ahead (`afterResponsesAhead`); an upgrade or CONNECT counts against the bound (`handOver`).
 *
 * Node gives a queued response the socket, synchronously, when the response ahead finishes and keeps
 * the connection open; when that response closed the connection, it never does. That, and each
 * accepted response's own `close`, is all this reads of node's state.
 *
 * @example
 * pipeline.whenReady(req, res, () => exchange.start());
 */
export class PipelineOrder {
  readonly #logger: Logger;
  readonly #connections = new WeakMap<Duplex, Connection>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /**
   * Takes every request node hands over (`request`, `checkContinue`, `checkExpectation`): calls `start`
   * now when `res` is first in line, else when its turn comes, or never when it is dropped.
   */
  whenReady(req: IncomingMessage, res: ServerResponse, start: () => void): void {
    const conn = this.#connection(req.socket);
    conn.last = req;
    if (conn.closing === null && conn.accepted.length >= MAX_PIPELINED_REQUESTS) this.#overflow(conn);
    // With nothing accepted ahead, node holds the socket back only when the connection closes.
    if (conn.closing === null && res.socket === null && conn.accepted.length === 0) conn.closing = 'response';
    if (conn.closing !== null) {
      this.#drop(conn, req);
      return;
    }
    const entry: Accepted = { res, start };
    conn.accepted.push(entry);
    if (conn.accepted.length === MAX_PIPELINED_REQUESTS) this.#pause(conn);
    // Node gave it the socket: the responses ahead, if any, finished and only their `close` is due.
    if (res.socket !== null) this.#start(conn, entry);
  }

  /**
   * Calls `then` once the responses ahead on `socket` are done (RFC 9112 §9.3.2: responses go out in
   * request order): at once when none is under way or `isOwn` accepts the first in line, else after
   * each one in turn. `then` gets the response `isOwn` accepted, or null; it also runs when the
   * connection closes first, and must check the socket.
   */
  afterResponsesAhead(
    socket: Duplex,
    isOwn: (res: ServerResponse) => boolean,
    then: (own: ServerResponse | null) => void,
  ): void {
    const conn = this.#connections.get(socket);
    const first = conn?.accepted[0];
    if (conn === undefined || first === undefined || socket.destroyed) then(null);
    else if (isOwn(first.res)) then(first.res);
    else conn.waiting.push(() => this.afterResponsesAhead(socket, isOwn, then));
  }

  /**
   * Takes an upgrade or CONNECT request, which took `socket` from node's HTTP parser (no request follows
   * it). False when it came past the bound or behind a response that closes the connection: it is
   * dropped unprocessed, like any request there (reading is paused at the bound, and node never
   * resumes a socket it handed over: a tunnel there would not read).
   */
  handOver(socket: Duplex): boolean {
    const conn = this.#connections.get(socket);
    if (conn === undefined) return true;
    if (conn.closing === null && conn.accepted.length >= MAX_PIPELINED_REQUESTS) this.#overflow(conn);
    if (conn.closing === 'overflow') conn.dropped += 1;
    return conn.closing === null;
  }

  /** Whether an accepted request on `socket` is still unanswered. */
  hasResponsesAhead(socket: Duplex): boolean {
    return (this.#connections.get(socket)?.accepted.length ?? 0) > 0;
  }

  /**
   * The request whose body node is reading on `socket`, if any: a parse error or timeout now is that
   * request's. Otherwise it is a request whose head node could not parse (or did not get in time).
   */
  unfinishedRequest(socket: Duplex): IncomingMessage | null {
    const last = this.#connections.get(socket)?.last ?? null;
    return last !== null && !last.complete ? last : null;
  }

  #connection(socket: Duplex): Connection {
    let conn = this.#connections.get(socket);
    if (conn === undefined) {
      conn = {
        socket,
        accepted: [],
        waiting: [],
        last: null,
        closing: null,
        dropped: 0,
        paused: false,
        repausing: false,
      };
      this.#connections.set(socket, conn);
    }
    return conn;
  }

  #start(conn: Connection, entry: Accepted): void {
    const start = entry.start;
    if (start === null) return;
    entry.start = null;
    start();
    // Node emits `close` once the response is done, and also when the connection is cut while the
    // response holds the socket (as a started one does). Listening after the exchange does lets the
    // exchange account for its request before the next one starts.
    entry.res.once('close', () => this.#onClose(conn, entry));
  }

  /** An accepted response is done, or its connection was cut: the next one starts, or all are dropped. */
  #onClose(conn: Connection, entry: Accepted): void {
    const at = conn.accepted.indexOf(entry);
    // Dropped already: its connection was cut while it waited.
    if (at < 0) return;
    conn.accepted.splice(at, 1);
    // An idle keep-alive connection holds no request (a body still read after its answer stays known).
    if (conn.last === entry.res.req && conn.last.complete) conn.last = null;
    const next = conn.accepted[0];
    const cut = !entry.res.writableFinished || conn.socket.destroyed;
    if (cut || (next !== undefined && next.res.socket === null)) {
      conn.closing ??= 'response';
      for (const dropped of conn.accepted.splice(0))
        if (dropped.start !== null) this.#drop(conn, dropped.res.req);
    } else if (next !== undefined) this.#start(conn, next);
    if (conn.accepted.length === 0 && conn.closing === 'overflow') this.#close(conn);
    else if (conn.paused && conn.closing === null) {
      conn.paused = false;
      conn.socket.resume();
    }
    const waiting = conn.waiting;
    conn.waiting = [];
    for (const then of waiting) then();
  }

  /**
   * Stops reading from the connection. Node resumes it whenever it completes a request it parsed (and
   * when a request body is read): a `resume` listener pauses it again, right after node's own.
   */
  #pause(conn: Connection): void {
    if (conn.paused) return;
    conn.paused = true;
    if (!conn.repausing) {
      conn.repausing = true;
      conn.socket.on('resume', () => {
        if (conn.paused) conn.socket.pause();
      });
    }
    conn.socket.pause();
  }

  /** The first request past the bound: the connection takes no more. */
  #overflow(conn: Connection): void {
    conn.closing = 'overflow';
    this.#logger.debug(
      { peer: peerOf(conn.socket), limit: MAX_PIPELINED_REQUESTS },
      'pipelined requests past the bound: the connection closes after the accepted ones',
    );
  }

  #drop(conn: Connection, req: IncomingMessage): void {
    if (conn.closing === 'response') {
      this.#logger.debug({ url: req.url }, 'pipelined request dropped: its connection closes');
      return;
    }
    conn.dropped += 1;
    if (conn.dropped === MAX_DROPPED_REQUESTS + 1) {
      this.#logger.info(
        { peer: peerOf(conn.socket), dropped: conn.dropped },
        'pipelined requests far past the bound: connection destroyed',
      );
      conn.socket.destroy();
    }
  }

  /** Closes an overflowing connection once its accepted requests are answered. */
  #close(conn: Connection): void {
    const { socket } = conn;
    if (socket.destroyed) return;
    socket.end();
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('close', () => clearTimeout(linger));
  }
}

function peerOf(socket: Duplex): string | undefined {
  return (socket as { remoteAddress?: string }).remoteAddress;
}
