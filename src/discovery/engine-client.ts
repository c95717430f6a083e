import { Pool } from 'undici';
import { z } from 'zod';
import { SwarmgateError } from '../errors.js';
import type { DockerEndpoint } from './docker-endpoint.js';
import { engineCallError, engineStatusError } from './engine-errors.js';
import { parseNdjson } from './ndjson.js';

/** The oldest Engine API swarmgate understands (Docker 20.10). */
export const MIN_API_VERSION = '1.41';
/** The newest Engine API swarmgate was written against; newer engines are spoken to in this version. */
export const MAX_API_VERSION = '1.43';

export interface EngineClientOptions {
  /** How long a call may wait for the engine's answer (connect, headers, each body chunk). Default 10 s. */
  timeoutMs?: number;
}

/** Filters for `GET /events`, e.g. `{ type: ['service', 'node'], scope: ['swarm'] }`. */
export type EventFilters = Record<string, string[]>;

const engineEvent = z.object({
  Type: z.string(),
  Action: z.string(),
  Actor: z
    .object({ ID: z.string().catch(''), Attributes: z.record(z.string(), z.string()).catch({}) })
    .catch({ ID: '', Attributes: {} }),
  scope: z.string().optional().catch(undefined),
  /** Nanoseconds since the epoch (beyond 2^53, so only about a microsecond precise after parsing). */
  timeNano: z.number().optional().catch(undefined),
});
/** One message of the Engine API event stream. */
export type EngineEvent = z.output<typeof engineEvent>;

const versionAnswer = z.object({ ApiVersion: z.string().regex(/^\d+\.\d+$/) });

/**
 * A read-only Docker Engine API client. It can only send GET requests: there is no method parameter
 * anywhere, so it cannot change the swarm. The API version is negotiated on the first call.
 * Creating a client does no I/O.
 *
 * @example
 * const client = new EngineClient(resolveDockerEndpoint());
 * const services = await client.listServices();
 * await client.close();
 */
export class EngineClient {
  /** Where this client connects. */
  readonly endpoint: DockerEndpoint;
  #pool: Pool;
  #timeoutMs: number;
  #apiVersion: Promise<string> | undefined;

  constructor(endpoint: DockerEndpoint, options: EngineClientOptions = {}) {
    this.endpoint = endpoint;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    const connect = { timeout: this.#timeoutMs };
    this.#pool =
      endpoint.kind === 'unix'
        ? new Pool('http://localhost', { connect: { ...connect, socketPath: endpoint.socketPath } })
        : new Pool(endpoint.origin, { connect: { ...connect, ...endpoint.tls } });
  }

  /**
   * The API version used for calls: the engine's, capped at {@link MAX_API_VERSION}. Asked once and
   * remembered; asked again after a failed call, since the daemon may have been upgraded meanwhile.
   * Rejects with `SG_ERR_DOCKER_API_TOO_OLD` below {@link MIN_API_VERSION}.
   */
  apiVersion(): Promise<string> {
    this.#apiVersion ??= this.#negotiate();
    return this.#apiVersion;
  }

  /** `GET /services?status=true`: services with `ServiceStatus` and `UpdateStatus`. */
  async listServices(signal?: AbortSignal): Promise<unknown[]> {
    return this.#getList('/services?status=true', signal);
  }

  /** `GET /tasks`: every task the managers still hold, history included. */
  async listTasks(signal?: AbortSignal): Promise<unknown[]> {
    return this.#getList('/tasks', signal);
  }

  /** `GET /nodes`. */
  async listNodes(signal?: AbortSignal): Promise<unknown[]> {
    return this.#getList('/nodes', signal);
  }

  /** `GET /networks`. */
  async listNetworks(signal?: AbortSignal): Promise<unknown[]> {
    return this.#getList('/networks', signal);
  }

  /** `GET /info`: the engine's system information, including its `Swarm` state. */
  async info(signal?: AbortSignal): Promise<unknown> {
    return this.#getJson(await this.#versioned('/info'), signal);
  }

  /**
   * Opens `GET /events` and resolves once the engine accepted it; the result yields each event until
   * the stream ends (the daemon went away) or `signal` aborts. Failures reject with `SG_ERR_DOCKER_*`
   * errors, except an abort, which rejects with the signal's reason.
   */
  async events(filters: EventFilters, signal: AbortSignal): Promise<AsyncIterable<EngineEvent>> {
    const query = new URLSearchParams({ filters: JSON.stringify(filters) });
    const path = await this.#versioned(`/events?${query}`);
    // An idle event stream is normal: no body timeout.
    const body = await this.#request(path, signal, 0);
    return this.#eventStream(body, signal);
  }

  /** Closes the connections. Calls still running fail. */
  async close(): Promise<void> {
    await this.#pool.close();
  }

  async *#eventStream(body: AsyncIterable<Uint8Array> & { destroy(): unknown }, signal: AbortSignal) {
    try {
      for await (const value of parseNdjson(body)) {
        const event = engineEvent.safeParse(value);
        if (event.success) yield event.data;
      }
    } catch (error) {
      signal.throwIfAborted();
      if (error instanceof SyntaxError) {
        throw new SwarmgateError(
          'SG_ERR_DOCKER_RESPONSE',
          `corrupt event stream from ${this.endpoint.display}`,
          {
            cause: error,
          },
        );
      }
      throw this.#callError(error);
    } finally {
      body.destroy();
    }
  }

  async #negotiate(): Promise<string> {
    try {
      const answer = versionAnswer.safeParse(await this.#getJson('/version'));
      if (!answer.success) {
        throw new SwarmgateError(
          'SG_ERR_DOCKER_RESPONSE',
          `GET /version on ${this.endpoint.display} has no ApiVersion`,
        );
      }
      const server = answer.data.ApiVersion;
      if (compareVersions(server, MIN_API_VERSION) < 0) {
        throw new SwarmgateError(
          'SG_ERR_DOCKER_API_TOO_OLD',
          `Docker at ${this.endpoint.display} speaks Engine API ${server}; swarmgate needs ${MIN_API_VERSION} ` +
            'or newer (Docker 20.10+)',
        );
      }
      return compareVersions(server, MAX_API_VERSION) < 0 ? server : MAX_API_VERSION;
    } catch (error) {
      this.#apiVersion = undefined;
      throw error;
    }
  }

  async #versioned(path: string): Promise<string> {
    return `/v${await this.apiVersion()}${path}`;
  }

  async #getList(path: string, signal: AbortSignal | undefined): Promise<unknown[]> {
    const versioned = await this.#versioned(path);
    const list = await this.#getJson(versioned, signal);
    if (!Array.isArray(list)) {
      throw new SwarmgateError('SG_ERR_DOCKER_RESPONSE', `GET ${versioned} did not answer with a list`);
    }
    return list;
  }

  async #getJson(path: string, signal?: AbortSignal): Promise<unknown> {
    const body = await this.#request(path, signal, this.#timeoutMs);
    let text: string;
    try {
      text = await body.text();
    } catch (error) {
      signal?.throwIfAborted();
      throw this.#callError(error);
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new SwarmgateError('SG_ERR_DOCKER_RESPONSE', `GET ${path} answered with invalid JSON`, {
        cause: error,
      });
    }
  }

  /** The only place a request is sent; always GET. Resolves with the body of a 2xx answer. */
  async #request(path: string, signal: AbortSignal | undefined, bodyTimeout: number) {
    let response: Awaited<ReturnType<Pool['request']>>;
    try {
      response = await this.#pool.request({
        path,
        method: 'GET',
        headers: { accept: 'application/json' },
        signal: signal ?? null,
        headersTimeout: this.#timeoutMs,
        bodyTimeout,
      });
    } catch (error) {
      signal?.throwIfAborted();
      throw this.#callError(error);
    }
    if (response.statusCode >= 200 && response.statusCode < 300) return response.body;
    const text = await response.body.text().catch(() => '');
    throw engineStatusError(response.statusCode, text, `GET ${path}`);
  }

  #callError(error: unknown): SwarmgateError {
    this.#apiVersion = undefined;
    return engineCallError(error, this.endpoint, this.#timeoutMs);
  }
}

/** Compares `major.minor` API versions numerically (`1.9` < `1.41`). */
export function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
