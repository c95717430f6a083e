import type { ServerOptions } from 'node:http';
import { SwarmgateError } from '../../errors.js';

/** Size limits and client-side timeouts of the HTTP entrypoints. */
export interface HttpLimits {
  /** Largest request head; a larger one is answered 431. */
  maxHeaderBytes: number;
  /** Time to receive a request head (slowloris guard); answered 408 and closed. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included; 0 disables. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive client connection stays open. */
  idleTimeoutMs: number;
  /** Largest request body; 0 = no limit. Larger bodies are answered 413. */
  maxBodyBytes: number;
  /**
   * A request body known to fit in this many bytes (its Content-Length, or a chunked body that ends
   * within it) is read whole before an upstream connection is taken; 0 streams every body.
   */
  requestBufferBytes: number;
  /** Longest wait for the next request body byte while the gateway reads the body; then 408. */
  bodyTimeoutMs: number;
  /** Slowest average request body rate in bytes per second, after the grace period; 0 = none. Then 408. */
  minBodyRate: number;
  /** How long a request body may come slower than `minBodyRate` at first (TCP slow start, a slow link). */
  minBodyRateGraceMs: number;
  /** Request bodies one client address may stream to upstreams at once; 0 = no limit. Then 429. */
  maxUploadsPerClient: number;
}

/**
 * Defaults: 16 KiB heads, 30 s for a head, 5 min for a request, 60 s idle, no body limit; bodies up
 * to 64 KiB buffered, 60 s body timeout (nginx's `client_body_timeout`), at least 240 bytes/s after
 * 10 s (Kestrel's minimum rate, with a longer grace), 16 streamed uploads per client address.
 */
export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 300_000,
  idleTimeoutMs: 60_000,
  maxBodyBytes: 0,
  requestBufferBytes: 64 * 1024,
  bodyTimeoutMs: 60_000,
  minBodyRate: 240,
  minBodyRateGraceMs: 10_000,
  maxUploadsPerClient: 16,
});

/**
 * Node server options for `limits`. Node checks head and request timeouts on an interval; it is set
 * to a quarter of the head timeout so a slow client is cut off soon after its deadline.
 */
export function serverOptions(limits: HttpLimits): ServerOptions {
  const { headersTimeoutMs, requestTimeoutMs } = limits;
  if (requestTimeoutMs > 0 && headersTimeoutMs > requestTimeoutMs) {
    throw new SwarmgateError(
      'SG_ERR_CONFIG',
      `headersTimeoutMs (${headersTimeoutMs}) must not exceed requestTimeoutMs (${requestTimeoutMs})`,
    );
  }
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(headersTimeoutMs / 4))),
    // The gateway refuses an HTTP/1.1 request without Host itself, with its SG_ERR body and a log line.
    requireHostHeader: false,
  };
}
