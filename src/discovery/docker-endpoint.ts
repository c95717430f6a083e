import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SwarmgateError } from '../errors.js';

/** Where the Docker Engine API is, and how to talk to it. */
export type DockerEndpoint = UnixEndpoint | TcpEndpoint;

export interface UnixEndpoint {
  kind: 'unix';
  socketPath: string;
  /** For messages: `unix:///var/run/docker.sock`. */
  display: string;
}

export interface TcpEndpoint {
  kind: 'tcp';
  /** `http://host:port` or, with TLS, `https://host:port`. */
  origin: string;
  /** Client certificate and CA, present when TLS is on (`DOCKER_TLS_VERIFY`). */
  tls?: TlsMaterial;
  /** For messages: `tcp://host:port`. */
  display: string;
}

export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** Explicit settings; each one left out is taken from the environment, like the docker CLI does. */
export interface DockerEndpointOptions {
  /** `unix:///path/to/docker.sock` or `tcp://host:port`; overrides `DOCKER_HOST`. */
  url?: string;
  /** Use TLS with client certificates and verify the daemon; overrides `DOCKER_TLS_VERIFY`. */
  tlsVerify?: boolean;
  /** Folder holding `ca.pem`, `cert.pem`, `key.pem`; overrides `DOCKER_CERT_PATH` (default `~/.docker`). */
  certPath?: string;
  /** Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
const DEFAULT_TCP_PORT = 2375;
const DEFAULT_TLS_PORT = 2376;

/**
 * Resolves the Docker endpoint from explicit options, then `DOCKER_HOST`, `DOCKER_TLS_VERIFY` and
 * `DOCKER_CERT_PATH`, then the default socket. Reads the TLS files when TLS is on.
 * Throws `SG_ERR_DOCKER_CONFIG` naming the bad setting.
 *
 * @example
 * resolveDockerEndpoint({ env: { DOCKER_HOST: 'tcp://10.0.0.1:2376', DOCKER_TLS_VERIFY: '1' } });
 * // → { kind: 'tcp', origin: 'https://10.0.0.1:2376', tls: { ca, cert, key }, display: 'tcp://10.0.0.1:2376' }
 */
export function resolveDockerEndpoint(options: DockerEndpointOptions = {}): DockerEndpoint {
  const env = options.env ?? process.env;
  const fromOption = options.url !== undefined;
  const url = options.url ?? nonEmpty(env.DOCKER_HOST) ?? DEFAULT_DOCKER_HOST;
  const source = fromOption ? 'the Docker URL option' : 'DOCKER_HOST';
  const tlsVerify = options.tlsVerify ?? parseTlsVerify(env.DOCKER_TLS_VERIFY);

  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'unix':
      return unixEndpoint(url, source);
    case 'tcp': {
      const certPath = options.certPath ?? nonEmpty(env.DOCKER_CERT_PATH) ?? join(homedir(), '.docker');
      return tcpEndpoint(url, source, tlsVerify ? certPath : undefined);
    }
    case 'npipe':
      throw configError(
        `${source} is ${url}: named pipes are Windows-only and not supported; use unix:// or tcp://`,
      );
    default:
      throw configError(
        `${source} is ${JSON.stringify(url)}: expected unix:///path/to/docker.sock or tcp://host:port`,
      );
  }
}

function unixEndpoint(url: string, source: string): UnixEndpoint {
  const socketPath = url.slice('unix://'.length);
  if (!socketPath.startsWith('/')) {
    throw configError(
      `${source} is ${url}: the socket path must be absolute, as in unix:///var/run/docker.sock`,
    );
  }
  return { kind: 'unix', socketPath, display: `unix://${socketPath}` };
}

function tcpEndpoint(url: string, source: string, certPath: string | undefined): TcpEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/^tcp:/i, 'http:'));
  } catch {
    throw configError(`${source} is ${url}: not a valid tcp://host:port address`);
  }
  if (parsed.hostname === '' || (parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search !== '') {
    throw configError(`${source} is ${url}: expected tcp://host:port without a path`);
  }
  const port = parsed.port === '' ? (certPath ? DEFAULT_TLS_PORT : DEFAULT_TCP_PORT) : Number(parsed.port);
  const hostPort = `${parsed.hostname}:${port}`;
  const endpoint: TcpEndpoint = {
    kind: 'tcp',
    origin: `${certPath ? 'https' : 'http'}://${hostPort}`,
    display: `tcp://${hostPort}`,
  };
  if (certPath) endpoint.tls = readTlsMaterial(certPath);
  return endpoint;
}

function readTlsMaterial(certPath: string): TlsMaterial {
  const read = (file: string): Buffer => {
    const path = join(certPath, file);
    try {
      return readFileSync(path);
    } catch (error) {
      throw configError(
        `TLS is on (DOCKER_TLS_VERIFY) but ${path} cannot be read (${(error as Error).message}); ` +
          'set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem',
        error,
      );
    }
  };
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

/** Like the docker CLI, any non-empty value turns TLS on, except the explicit `0` and `false`. */
function parseTlsVerify(value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  return !['0', 'false'].includes(value.toLowerCase());
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function configError(message: string, cause?: unknown): SwarmgateError {
  return new SwarmgateError('SG_ERR_DOCKER_CONFIG', message, cause === undefined ? undefined : { cause });
}
