import type { Readable } from 'node:stream';

/** A request as the upstream client sends it. */
export interface UpstreamRequest {
  method: string;
  /** Origin-form target (`/path?query`). */
  path: string;
  /** Flat `[name, value, ...]`, hop-by-hop headers already removed. */
  headers: readonly string[];
  /**
   * A stream is sent with backpressure; a `Buffer` (a body read whole beforehand) goes out with the
   * head; null when the request has no body.
   */
  body: Readable | Buffer | null;
  /** Length of `body` when known (sent as Content-Length by the caller's headers); -1 sends it chunked. */
  contentLength: number;
}

/**
 * Receives one exchange's progress. Exactly one of `onComplete` and `onError` ends it; `onConnect`
 * comes first unless the connection could not be made.
 */
export interface UpstreamResponseHandler {
  /** The request is about to go out on a connection; `abort` ends the exchange with `onError(reason)`. */
  onConnect(abort: (reason: Error) => void): void;
  /** The final response head (interim 1xx go to `onInterim`). `resume` restarts a body paused by `onData`. */
  onHeaders(status: number, headers: string[], resume: () => void, statusText: string): void;
  /**
   * An interim response (1xx other than 101) before the final head; `headers` as received, validated
   * (token names, values without CR, LF or NUL). Without this method they are skipped.
   */
  onInterim?(status: number, headers: string[]): void;
  /** Body bytes; return false to pause the upstream until `resume` is called. */
  onData(chunk: Buffer): boolean;
  /**
   * The response is complete; `last` is its final body piece when it came in the same read as the
   * end (not also passed to `onData`), so the client gets body end and completion in one write.
   */
  onComplete(last: Buffer | undefined): void;
  /** The exchange failed; `responseStarted`: some of the response had arrived (so it is not retried). */
  onError(err: Error, responseStarted: boolean): void;
}
