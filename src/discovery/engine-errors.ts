import { SwarmgateError } from '../errors.js';
import type { DockerEndpoint } from './docker-endpoint.js';

/** Connection errors that mean "nothing answers there". */
const UNREACHABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED']);
const PERMISSION_CODES = new Set(['EACCES', 'EPERM']);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Turns a failed Engine API call into a `SwarmgateError` with a stable code and a message that says
 * what to check. `SwarmgateError`s pass through unchanged.
 */
export function engineCallError(error: unknown, endpoint: DockerEndpoint, timeoutMs: number): SwarmgateError {
  if (error instanceof SwarmgateError) return error;
  const code = errorCode(error);
  const where = endpoint.display;
  const detail = error instanceof Error ? error.message : String(error);
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    const hint =
      endpoint.kind === 'unix'
        ? 'is dockerd running, and is the socket mounted into this container?'
        : 'is dockerd running and listening on that address?';
    return new SwarmgateError(
      'SG_ERR_DOCKER_UNREACHABLE',
      `cannot reach Docker at ${where} (${code}): ${hint}`,
      {
        cause: error,
      },
    );
  }
  if (code !== undefined && PERMISSION_CODES.has(code)) {
    return new SwarmgateError(
      'SG_ERR_DOCKER_PERMISSION',
      `permission denied on ${where}: run as root or as a member of the docker group, ` +
        'or mount the socket so that this user can read and write it',
      { cause: error },
    );
  }
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new SwarmgateError(
      'SG_ERR_DOCKER_UNREACHABLE',
      `Docker at ${where} did not answer within ${timeoutMs} ms`,
      {
        cause: error,
      },
    );
  }
  return new SwarmgateError(
    'SG_ERR_DOCKER_UNREACHABLE',
    `the connection to Docker at ${where} failed: ${detail}`,
    {
      cause: error,
    },
  );
}

/**
 * The error for a non-2xx answer. The engine explains itself in `{"message": "..."}`; a 503 saying
 * "not a swarm manager" gets its own code because the fix (point at a manager) is specific.
 */
export function engineStatusError(statusCode: number, body: string, request: string): SwarmgateError {
  const message = engineMessage(body);
  if (statusCode === 503 && /not a swarm manager/i.test(message)) {
    return new SwarmgateError(
      'SG_ERR_DOCKER_NOT_SWARM',
      `Docker refused ${request}: ${message} (swarmgate must talk to a swarm manager)`,
    );
  }
  return new SwarmgateError(
    'SG_ERR_DOCKER_RESPONSE',
    `Docker answered ${statusCode} to ${request}: ${message}`,
  );
}

function engineMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'message' in parsed &&
      typeof parsed.message === 'string'
    ) {
      return parsed.message;
    }
  } catch {
    // Not JSON: fall through to the raw text, which is what the engine (or a proxy in front of it) said.
  }
  return body.trim().slice(0, 500) || '(empty body)';
}

/** The first `code` along the `cause` chain (undici sometimes wraps the socket error). */
function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const { code, cause } = e as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    e = cause;
  }
  return undefined;
}
