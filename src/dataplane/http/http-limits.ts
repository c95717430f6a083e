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
}

/** Defaults: 16 KiB heads, 30 s for a head, 5 min for a request, 60 s idle, no body limit. */
export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 300_000,
  idleTimeoutMs: 60_000,
  maxBodyBytes: 0,
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
