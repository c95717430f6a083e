import type { UpstreamRequest, UpstreamResponseHandler } from './exchange-handler.js';
import { type ConnectionOwner, type ConnectionSettings, UpstreamConnection } from './upstream-connection.js';
import { UpstreamError } from './upstream-error.js';

/** Limits of one upstream's pool. */
export interface UpstreamPoolOptions extends ConnectionSettings {
  /** Most connections open at once; further requests wait for one to free up. */
  connections: number;
  /** An idle connection is closed after this long (or sooner, if the upstream's Keep-Alive hint says so). */
  keepAliveTimeoutMs: number;
}

interface Waiting {
  request: UpstreamRequest;
  handler: UpstreamResponseHandler;
  timer: NodeJS.Timeout;
}

/**
 * Keep-alive HTTP/1.1 connections to one upstream (`host`, `port`), swarmgate's own lean client for
 * the proxy's hot path. Idle connections are reused last-in first-out, so a quiet period lets the
 * extra ones expire; one timer per pool (not per connection or request) closes expired idle ones.
 * At the connection limit a request waits for a free connection, at most the connect timeout (as
 * HAProxy's `timeout queue` defaults to `timeout connect`), then fails with
 * `SG_UPSTREAM_QUEUE_TIMEOUT`: it never went out, so it may go to another upstream.
 *
 * @example
 * const pool = new UpstreamPool('10.0.1.5', 8080, options);
 * pool.dispatch({ method: 'GET', path: '/', headers: ['host', 'a.test'], body: null, contentLength: 0 }, handler);
 * await pool.close();
 */
export class UpstreamPool implements ConnectionOwner {
  readonly host: string;
  readonly port: number;
  readonly #options: UpstreamPoolOptions;
  readonly #all = new Set<UpstreamConnection>();
  /** Idle connections; the most recently used is last. */
  readonly #idle: UpstreamConnection[] = [];
  readonly #waiting: Waiting[] = [];
  #sweep: NodeJS.Timeout | undefined;
  /** Set by `close`: the pool takes no more requests. */
  #closing: Promise<void> | undefined;
  #onEmpty: (() => void) | undefined;

  constructor(host: string, port: number, options: UpstreamPoolOptions) {
    this.host = host;
    this.port = port;
    this.#options = options;
  }

  /** True once `close` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Open connections (connecting, busy or idle). */
  get connections(): number {
    return this.#all.size;
  }

  /**
   * Sends a request on an idle connection, a new one, or (at the limit) once one frees up. `fresh`
   * skips the idle ones: a resend after a stale one, whose idle peers may be stale too.
   */
  dispatch(request: UpstreamRequest, handler: UpstreamResponseHandler, fresh = false): void {
    if (this.closed) {
      handler.onError(new UpstreamError('SG_UPSTREAM_POOL_CLOSED', 'the upstream pool is closed'), false);
      return;
    }
    let idle = fresh ? undefined : this.#idle.pop();
    // A connection destroyed while idle leaves the list only when its socket's close event comes.
    while (idle?.destroyed) idle = this.#idle.pop();
    if (idle !== undefined) idle.start(request, handler);
    else if (this.#all.size < this.#options.connections) this.#open().start(request, handler);
    else this.#queue(request, handler);
  }

  /**
   * Stops taking requests and resolves once the running ones finished and every connection closed.
   * Idle connections close at once; requests still waiting for a connection fail. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closing = new Promise((resolve) => {
      this.#onEmpty = resolve;
    });
    clearTimeout(this.#sweep);
    for (const connection of this.#idle.splice(0)) connection.destroy();
    for (const waiting of this.#waiting.splice(0)) {
      clearTimeout(waiting.timer);
      waiting.handler.onError(
        new UpstreamError('SG_UPSTREAM_POOL_CLOSED', 'the upstream pool is closed'),
        false,
      );
    }
    if (this.#all.size === 0) this.#onEmpty!();
    return this.#closing;
  }

  /** Some exchange has no response byte yet: on a connection, or waiting for one. */
  hasUnanswered(): boolean {
    if (this.#waiting.length > 0) return true;
    for (const connection of this.#all) if (connection.unanswered) return true;
    return false;
  }

  /**
   * Ends with `err` every exchange with no response byte yet, on a connection or waiting for one, and
   * returns how many: for an upstream that stopped answering (see `RegisteredUpstream.retire`).
   * Responses under way go on.
   */
  failUnanswered(err: UpstreamError): number {
    let failed = 0;
    for (const waiting of this.#waiting.splice(0)) {
      clearTimeout(waiting.timer);
      waiting.handler.onError(err, false);
      failed += 1;
    }
    for (const connection of this.#all) if (connection.failUnanswered(err)) failed += 1;
    return failed;
  }

  release(connection: UpstreamConnection): void {
    if (this.closed) {
      connection.destroy();
      return;
    }
    const waiting = this.#dequeue();
    if (waiting !== undefined) {
      connection.start(waiting.request, waiting.handler);
      return;
    }
    connection.idleSince = performance.now();
    this.#idle.push(connection);
    this.#sweep ??= setTimeout(this.#expire, this.#idleLimit(connection)).unref();
  }

  removed(connection: UpstreamConnection): void {
    this.#all.delete(connection);
    const at = this.#idle.indexOf(connection);
    if (at >= 0) this.#idle.splice(at, 1);
    if (this.closed) {
      if (this.#all.size === 0) this.#onEmpty?.();
      return;
    }
    // A connection that failed or closed leaves room for a waiting request.
    const waiting = this.#dequeue();
    if (waiting !== undefined) this.#open().start(waiting.request, waiting.handler);
  }

  stale(connection: UpstreamConnection): void {
    const since = connection.idleSince;
    const idle = this.#idle;
    for (let i = idle.length - 1; i >= 0; i--) {
      const other = idle[i]!;
      if (other.idleSince > since) continue;
      idle.splice(i, 1);
      other.destroy();
    }
  }

  #queue(request: UpstreamRequest, handler: UpstreamResponseHandler): void {
    const waiting: Waiting = {
      request,
      handler,
      timer: setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(waiting), 1);
        handler.onError(QUEUE_TIMEOUT, false);
      }, this.#options.connectTimeoutMs),
    };
    this.#waiting.push(waiting);
  }

  #dequeue(): Waiting | undefined {
    const waiting = this.#waiting.shift();
    if (waiting !== undefined) clearTimeout(waiting.timer);
    return waiting;
  }

  #open(): UpstreamConnection {
    const connection = new UpstreamConnection(this, this.host, this.port, this.#options);
    this.#all.add(connection);
    return connection;
  }

  #idleLimit(connection: UpstreamConnection): number {
    return Math.min(this.#options.keepAliveTimeoutMs, connection.keepAliveMs);
  }

  /** Closes the idle connections past their limit and re-arms for the next one to expire. */
  readonly #expire = (): void => {
    this.#sweep = undefined;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    const idle = this.#idle;
    for (let i = idle.length - 1; i >= 0; i--) {
      const connection = idle[i]!;
      const left = connection.idleSince + this.#idleLimit(connection) - now;
      if (left > 0) {
        next = Math.min(next, left);
        continue;
      }
      idle.splice(i, 1);
      connection.destroy();
    }
    if (next !== Number.POSITIVE_INFINITY) this.#sweep = setTimeout(this.#expire, next).unref();
  };
}

const QUEUE_TIMEOUT = new UpstreamError(
  'SG_UPSTREAM_QUEUE_TIMEOUT',
  'every connection to the upstream stayed busy for the connect timeout',
);
