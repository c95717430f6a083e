/**
 * Stable error codes, defined in one place. They appear in logs, CLI output, diagnostics and metric
 * labels, and tests assert on them, so a code is never renamed once released.
 *
 * @example
 * throw new SwarmgateError('SG_ERR_DOCKER_UNREACHABLE', 'cannot reach Docker at /var/run/docker.sock');
 */
export const ErrorCodes = {
  // discovery
  SG_ERR_DOCKER_UNREACHABLE: 'The Docker Engine API cannot be reached',
  SG_ERR_DOCKER_PERMISSION: 'Permission denied on the Docker socket',
  SG_ERR_DOCKER_API_TOO_OLD: 'The Docker Engine API is older than the minimum supported version',
  SG_ERR_DOCKER_NOT_SWARM: 'The Docker engine is not a swarm manager',
  SG_ERR_DOCKER_RESPONSE: 'The Docker Engine API answered with an error',
  SG_ERR_DOCKER_CONFIG: 'DOCKER_HOST / TLS settings are invalid',
  // routing (label diagnostics)
  SG_ERR_LABEL_INVALID: 'A swarmgate label has an invalid value',
  SG_ERR_LABEL_MISSING: 'A required swarmgate label is missing',
  SG_ERR_LABEL_UNKNOWN: 'An unknown swarmgate label was set',
  SG_ERR_LABEL_UNUSED: 'A swarmgate label has no effect where it is set',
  SG_ERR_LABEL_ON_CONTAINER: 'swarmgate labels were set on the container instead of the service',
  SG_ERR_NO_UPSTREAM_MODE: 'No way to reach the service from this gateway',
  SG_ERR_ROUTE_CONFLICT: 'Two routes claim the same host, path and priority',
  // data plane
  SG_ERR_NO_ROUTE: 'No route matches the request',
  SG_ERR_NO_UPSTREAM: 'No available upstream for the route',
  SG_ERR_UPSTREAM_CONNECT: 'Connecting to the upstream failed',
  SG_ERR_UPSTREAM_RESET: 'The upstream closed the connection before answering',
  SG_ERR_UPSTREAM_TIMEOUT: 'The upstream did not answer in time',
  SG_ERR_UPSTREAM_PROTOCOL: 'The upstream sent an invalid response',
  SG_ERR_UPSTREAM_UNREACHABLE:
    'The upstream left the routing table and its address stopped answering before it responded',
  SG_ERR_BAD_REQUEST: 'The client sent an invalid request',
  SG_ERR_HEADERS_TOO_LARGE: 'The request headers are too large',
  SG_ERR_BODY_TOO_LARGE: 'The request body is too large',
  SG_ERR_EXPECTATION_FAILED: 'The request carries an expectation other than 100-continue',
  SG_ERR_TRANSFER_CODING: 'The request body has a transfer coding other than chunked',
  SG_ERR_CONNECT_METHOD: 'CONNECT asks for a forward-proxy tunnel, which a reverse proxy does not open',
  SG_ERR_CLIENT_ABORTED: 'The client went away before the response was complete',
  SG_ERR_SHUTDOWN_CUT: 'The request was still running when the shutdown grace ran out',
  SG_ERR_CLIENT_TIMEOUT: 'The client was too slow to send its request or to read the response',
  SG_ERR_TOO_MANY_UPLOADS:
    'The client already streams as many request bodies to upstreams as one client address may',
  SG_ERR_INTERNAL: 'An unexpected error in swarmgate (a bug)',
  SG_ERR_CONNECTION_LIMIT:
    'A client connection was refused: the gateway or its address holds the most allowed',
  SG_ERR_ADMIN_HOST: 'An admin API request without a token named a host that is not loopback',
  // configuration
  SG_ERR_CONFIG: 'Invalid configuration',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** An error with a stable `SG_ERR_*` code. */
export class SwarmgateError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SwarmgateError';
    this.code = code;
  }
}
