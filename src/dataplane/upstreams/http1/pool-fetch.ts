import type { UpstreamRequest, UpstreamResponseHandler } from './exchange-handler.js';
import { UpstreamError } from './upstream-error.js';
import type { UpstreamPool } from './upstream-pool.js';

/** A whole response, read through a pool. */
export interface FetchedResponse {
  status: number;
  headers: string[];
  /** The body, up to `keepBodyBytes`; the rest was read and dropped. */
  body: Buffer;
}

/** Options of {@link fetchFromPool}. */
export interface FetchOptions {
  /** Fails the request with `SG_UPSTREAM_RESPONSE_TIMEOUT` when the response is not complete by then. */
  timeoutMs: number;
  /** Body bytes to keep (default 64 KiB). */
  keepBodyBytes?: number;
}

/**
 * One bodyless request through `pool`, with the response collected: for health checks and tools, not
 * for the proxy's streaming path.
 *
 * @example
 * const { status } = await fetchFromPool(handle.pool, 'GET', '/healthz', ['host', 'a.test'], { timeoutMs: 2_000 });
 */
export function fetchFromPool(
  pool: UpstreamPool,
  method: string,
  path: string,
  headers: readonly string[],
  options: FetchOptions,
): Promise<FetchedResponse> {
  return new Promise((resolve, reject) => {
    const request: UpstreamRequest = { method, path, headers, body: null, contentLength: 0 };
    pool.dispatch(request, new CollectingHandler(options, resolve, reject));
  });
}

class CollectingHandler implements UpstreamResponseHandler {
  readonly #keep: number;
  readonly #resolve: (response: FetchedResponse) => void;
  readonly #reject: (err: Error) => void;
  readonly #timer: NodeJS.Timeout;
  #abort: ((reason: Error) => void) | undefined;
  #timedOut: Error | undefined;
  #status = 0;
  #headers: string[] = [];
  readonly #chunks: Buffer[] = [];
  #kept = 0;

  constructor(
    options: FetchOptions,
    resolve: (response: FetchedResponse) => void,
    reject: (err: Error) => void,
  ) {
    this.#keep = options.keepBodyBytes ?? 64 * 1024;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#timer = setTimeout(this.#onTimeout, options.timeoutMs);
  }

  onConnect(abort: (reason: Error) => void): void {
    this.#abort = abort;
    if (this.#timedOut !== undefined) abort(this.#timedOut);
  }

  onHeaders(status: number, headers: string[]): void {
    this.#status = status;
    this.#headers = headers;
  }

  onData(chunk: Buffer): boolean {
    this.#keepPart(chunk);
    return true;
  }

  onComplete(last: Buffer | undefined): void {
    if (last !== undefined) this.#keepPart(last);
    clearTimeout(this.#timer);
    this.#resolve({ status: this.#status, headers: this.#headers, body: Buffer.concat(this.#chunks) });
  }

  #keepPart(chunk: Buffer): void {
    if (this.#kept < this.#keep) {
      const part = chunk.subarray(0, this.#keep - this.#kept);
      this.#chunks.push(part);
      this.#kept += part.length;
    }
  }

  onError(err: Error): void {
    clearTimeout(this.#timer);
    this.#reject(err);
  }

  readonly #onTimeout = (): void => {
    const err = new UpstreamError('SG_UPSTREAM_RESPONSE_TIMEOUT', 'no complete response in time');
    this.#timedOut = err;
    // Not on a connection yet (connecting, or waiting at the pool's limit): it is aborted once it is.
    if (this.#abort === undefined) this.#reject(err);
    else this.#abort(err);
  };
}
