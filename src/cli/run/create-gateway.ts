import type { Logger } from 'pino';
import { Gateway } from '../../dataplane/gateway.js';
import {
  type ConnectionLimitSettings,
  defaultMaxConnections,
} from '../../dataplane/http/connection-limits.js';
import { UpstreamRegistry } from '../../dataplane/upstreams/upstream-registry.js';
import type { RunOptions } from '../run-options.js';

/** The data plane as configured by the flags: an upstream registry plus the gateway that uses it. */
export function createGateway(options: RunOptions, stickySecret: Buffer, logger: Logger) {
  const registry = new UpstreamRegistry({
    connectTimeoutMs: options.connectTimeoutMs,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    keepAliveTimeoutMs: 4_000,
    connectionsPerUpstream: 256,
    drainTimeoutMs: options.drainTimeoutMs,
    passive: { maxFails: 3, failWindowMs: 10_000, baseBackoffMs: 1_000, maxBackoffMs: 30_000 },
  });
  const gateway = new Gateway({
    http: options.http,
    registry,
    compile: { role: options.role, stickySecret, drainTimeoutMs: options.drainTimeoutMs },
    logger,
    trustedProxies: options.trustedProxies,
    limits: {
      maxHeaderBytes: options.maxHeaderBytes,
      maxBodyBytes: options.maxBodyBytes,
      headersTimeoutMs: options.headersTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      requestBufferBytes: options.requestBufferBytes,
      bodyTimeoutMs: options.bodyTimeoutMs,
      minBodyRate: options.minBodyRate,
      minBodyRateGraceMs: options.minBodyRateGraceMs,
      maxUploadsPerClient: options.maxUploadsPerClient,
    },
    connectionLimits: processConnectionLimits(options),
    tunnelConnectTimeoutMs: options.connectTimeoutMs,
    acceptBatch: options.acceptBatch,
  });
  return { gateway, registry };
}

/**
 * The connection caps of one proxying process (the single one, or each worker). A total given is the
 * gateway's, shared out among the workers; the default is each process's own, as its open-file limit is.
 */
export function processConnectionLimits(options: RunOptions): ConnectionLimitSettings {
  return {
    maxConnections:
      options.maxConnections === undefined
        ? defaultMaxConnections()
        : Math.ceil(options.maxConnections / options.workers),
    maxConnectionsPerAddress: options.maxConnectionsPerAddress,
  };
}
