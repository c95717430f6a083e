import { parseArgs } from 'node:util';
import { DEFAULT_MAX_CONNECTIONS_PER_ADDRESS } from '../dataplane/http/connection-limits.js';
import { DEFAULT_HTTP_LIMITS, serverOptions } from '../dataplane/http/http-limits.js';
import { formatListenAddress, parseListenAddress } from '../dataplane/http/listen-address.js';
import { TrustedProxies } from '../dataplane/http/trusted-proxies.js';
import { SwarmgateError } from '../errors.js';
import type { TranslateContext } from '../routing/table.js';
import { choiceFlag, durationFlag, integerFlag, listFlag, sizeFlag } from './option-values.js';
import { UsageError } from './usage-error.js';

export const RUN_USAGE = `Usage: swarmgate run [options]

Discovers the swarm (or reads a table file) and serves HTTP on the entrypoints.

Source of routes (one of):
  --docker URL              Docker endpoint: unix:///path or tcp://host:port (default: DOCKER_HOST,
                            then unix:///var/run/docker.sock); TLS via DOCKER_TLS_VERIFY/DOCKER_CERT_PATH
  --table FILE              serve a routing-table JSON file instead (re-read on change and on SIGHUP)

Entrypoints and admin:
  --http ADDR:PORT          HTTP entrypoint, repeatable; IPv6 as [::]:8080 (default 0.0.0.0:8080)
  --admin ADDR:PORT         admin API (default 127.0.0.1:9180); non-loopback needs --admin-token-file
  --admin-token-file FILE   bearer token for the admin API

Routing:
  --role run|border|ingress which tier this is; each tier gets its own sticky cookie names (default run)
  --network NAME            networks whose task IPs this gateway reaches, repeatable (default: when run as
                            a swarm task, its own overlay networks; on a host, none)
  --sticky-secret-file FILE HMAC key for sticky cookies, shared by every replica and tier
  --drain-timeout DUR       how long draining tasks keep their sticky sessions (default 30s)
  --relist-interval DUR     periodic task re-list, the ground truth (default 2s)
  --trusted-proxies CIDRS   peers whose X-Forwarded-*/Forwarded headers are believed (default none)

Limits and timeouts:
  --max-header-size SIZE    request head limit, answered 431 (default 16k)
  --max-body-size SIZE      request body limit, answered 413 (default none)
  --headers-timeout DUR     time to send a request head (default 30s)
  --request-timeout DUR     time to send a whole request (default 5m)
  --idle-timeout DUR        idle keep-alive client connections (default 60s)
  --request-buffer-size SIZE
                            request bodies that fit are read whole before an upstream connection is
                            taken; larger ones stream (default 64k; 0 streams every body)
  --body-timeout DUR        longest wait for the next request body byte, then 408 (default 60s)
  --min-body-rate SIZE      slowest average request body rate per second after the grace, then 408
                            (default 240; 0 = none)
  --min-body-rate-grace DUR time a request body may come slower at first (default 10s)
  --max-uploads-per-client N
                            request bodies one client address (IPv6: its /64) streams to upstreams at
                            once, then 429 (default 16; 0 = no limit)
  --connect-timeout DUR     upstream connect timeout (default 5s)
  --upstream-timeout DUR    upstream response head and body idle timeout (default 60s)
  --max-connections N       open client connections; more are reset at once. 0 = no limit (default:
                            (open-file limit - 256) / 2 per process; an N given is shared out among
                            the --workers)
  --max-connections-per-address N
                            open client connections from one IPv4 address or IPv6 /64, in each
                            process; more are reset at once; --trusted-proxies are exempt. 0 = no
                            limit (default 512)

Process:
  --workers N               worker processes sharing the listeners (default 1: no cluster)
  --accept-batch N          new connections each entrypoint accepts per event-loop iteration, through
                            N sockets with SO_REUSEPORT (Node 20: N descriptors of its socket)
                            (default 4 in one process; 1 with --workers, whose N event loops accept
                            already)
  --shutdown-grace DUR      on SIGTERM/SIGINT, time for requests in flight (default 10s)
  --log-level LEVEL         fatal, error, warn, info, debug (default info)
  --access-log              log one line per request (status, duration, route, upstream, retries),
                            whatever --log-level says
  --metrics                 serve Prometheus metrics at the admin listener's /metrics
  -h, --help                this text

DUR is a duration such as 500ms, 5s or 1m30s (units ms s m h d), at most 24d.
SIZE is a number of bytes, or with k, m or g (KiB, MiB, GiB).
`;

/** Bound of the connection caps: no process holds more descriptors. */
const MAX_CONNECTIONS = 100_000_000;

/** Everything `swarmgate run` needs, validated. */
export interface RunOptions {
  docker?: string;
  table?: string;
  http: string[];
  admin: string;
  adminTokenFile?: string;
  role: TranslateContext['role'];
  networks?: string[];
  stickySecretFile?: string;
  drainTimeoutMs: number;
  relistIntervalMs: number;
  trustedProxies: string[];
  maxHeaderBytes: number;
  maxBodyBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  requestBufferBytes: number;
  bodyTimeoutMs: number;
  minBodyRate: number;
  minBodyRateGraceMs: number;
  maxUploadsPerClient: number;
  connectTimeoutMs: number;
  upstreamTimeoutMs: number;
  /** Undefined: each process derives its cap from its open-file limit. */
  maxConnections?: number;
  maxConnectionsPerAddress: number;
  workers: number;
  acceptBatch: number;
  shutdownGraceMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug';
  accessLog: boolean;
  metrics: boolean;
  help: boolean;
}

/**
 * Parses `swarmgate run` arguments; throws a {@link UsageError} for a command line that does not parse
 * and `SG_ERR_CONFIG` naming the flag for a bad value.
 */
export function parseRunOptions(argv: string[]): RunOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    throw new UsageError('run', (err as Error).message);
  }
  if (values.docker !== undefined && values.table !== undefined) {
    throw new SwarmgateError(
      'SG_ERR_CONFIG',
      '--docker and --table are exclusive: choose one source of routes',
    );
  }
  const networks = listFlag(values.network);
  const http = values.http ?? ['0.0.0.0:8080'];
  const admin = values.admin ?? '127.0.0.1:9180';
  // Checked here so that a bad or repeated address fails before anything starts or warns.
  checkListenAddresses(http, admin);
  const workers = integerFlag('workers', values.workers ?? '1', 1, 64);
  const trustedProxies = listFlag(values['trusted-proxies']);
  const headersTimeoutMs = durationFlag('headers-timeout', values['headers-timeout'] ?? '30s');
  const requestTimeoutMs = durationFlag('request-timeout', values['request-timeout'] ?? '5m');
  // The data plane's own checks, run now: in a cluster worker they would throw at every restart.
  checkedBy('--trusted-proxies', () => new TrustedProxies(trustedProxies));
  checkedBy('--headers-timeout, --request-timeout', () =>
    serverOptions({ ...DEFAULT_HTTP_LIMITS, headersTimeoutMs, requestTimeoutMs }),
  );
  return {
    ...(values.docker !== undefined ? { docker: values.docker } : {}),
    ...(values.table !== undefined ? { table: values.table } : {}),
    http,
    admin,
    ...(values['admin-token-file'] !== undefined ? { adminTokenFile: values['admin-token-file'] } : {}),
    role: choiceFlag('role', values.role ?? 'run', ['run', 'border', 'ingress'] as const),
    ...(networks.length > 0 ? { networks } : {}),
    ...(values['sticky-secret-file'] !== undefined ? { stickySecretFile: values['sticky-secret-file'] } : {}),
    drainTimeoutMs: durationFlag('drain-timeout', values['drain-timeout'] ?? '30s'),
    relistIntervalMs: durationFlag('relist-interval', values['relist-interval'] ?? '2s'),
    trustedProxies,
    maxHeaderBytes: sizeFlag('max-header-size', values['max-header-size'] ?? '16k'),
    maxBodyBytes:
      values['max-body-size'] === undefined ? 0 : sizeFlag('max-body-size', values['max-body-size']),
    headersTimeoutMs,
    requestTimeoutMs,
    idleTimeoutMs: durationFlag('idle-timeout', values['idle-timeout'] ?? '60s'),
    requestBufferBytes: requestBufferFlag(values['request-buffer-size'] ?? '64k'),
    bodyTimeoutMs: durationFlag('body-timeout', values['body-timeout'] ?? '60s'),
    minBodyRate: zeroOr(values['min-body-rate'] ?? '240', (raw) => sizeFlag('min-body-rate', raw)),
    minBodyRateGraceMs: durationFlag('min-body-rate-grace', values['min-body-rate-grace'] ?? '10s'),
    maxUploadsPerClient: integerFlag(
      'max-uploads-per-client',
      values['max-uploads-per-client'] ?? '16',
      0,
      1_000_000,
    ),
    connectTimeoutMs: durationFlag('connect-timeout', values['connect-timeout'] ?? '5s'),
    upstreamTimeoutMs: durationFlag('upstream-timeout', values['upstream-timeout'] ?? '60s'),
    ...(values['max-connections'] !== undefined
      ? { maxConnections: integerFlag('max-connections', values['max-connections'], 0, MAX_CONNECTIONS) }
      : {}),
    maxConnectionsPerAddress: integerFlag(
      'max-connections-per-address',
      values['max-connections-per-address'] ?? String(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS),
      0,
      MAX_CONNECTIONS,
    ),
    workers,
    acceptBatch: integerFlag('accept-batch', values['accept-batch'] ?? (workers > 1 ? '1' : '4'), 1, 64),
    shutdownGraceMs: durationFlag('shutdown-grace', values['shutdown-grace'] ?? '10s'),
    logLevel: choiceFlag('log-level', values['log-level'] ?? 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
    ] as const),
    accessLog: values['access-log'] ?? false,
    metrics: values.metrics ?? false,
    help: values.help ?? false,
  };
}

/** Every address parses, and no two listeners would bind the same one (the second bind would fail). */
function checkListenAddresses(http: readonly string[], admin: string): void {
  const seen = new Map<string, string>();
  for (const [flag, spec] of [...http.map((h) => ['--http', h] as const), ['--admin', admin] as const]) {
    const address = formatListenAddress(parseListenAddress(spec));
    const first = seen.get(address);
    if (first !== undefined) {
      throw new SwarmgateError(
        'SG_ERR_CONFIG',
        `${flag} ${spec}: ${first} already listens on ${address}; give each listener its own address`,
      );
    }
    seen.set(address, `${flag} ${spec}`);
  }
}

/** A flag where `0` turns the feature off; any other value goes through `parse`. */
function zeroOr(raw: string, parse: (raw: string) => number): number {
  return raw === '0' ? 0 : parse(raw);
}

/** Largest request buffer: memory per client connection, so bounded. */
const MAX_REQUEST_BUFFER = 16 * 1024 * 1024;

function requestBufferFlag(raw: string): number {
  const bytes = zeroOr(raw, (r) => sizeFlag('request-buffer-size', r));
  if (bytes > MAX_REQUEST_BUFFER) {
    throw new SwarmgateError(
      'SG_ERR_CONFIG',
      `--request-buffer-size ${JSON.stringify(raw)}: must be at most 16m (memory held per client connection)`,
    );
  }
  return bytes;
}

/** Runs `check`, prefixing the flags to the configuration error it throws. */
function checkedBy(flags: string, check: () => unknown): void {
  try {
    check();
  } catch (err) {
    if (err instanceof SwarmgateError)
      throw new SwarmgateError(err.code, `${flags}: ${err.message}`, { cause: err });
    throw err;
  }
}

function parse(argv: string[]) {
  const text = { type: 'string' } as const;
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      docker: text,
      table: text,
      http: { type: 'string', multiple: true },
      admin: text,
      'admin-token-file': text,
      role: text,
      network: { type: 'string', multiple: true },
      'sticky-secret-file': text,
      'drain-timeout': text,
      'relist-interval': text,
      'trusted-proxies': { type: 'string', multiple: true },
      'max-header-size': text,
      'max-body-size': text,
      'headers-timeout': text,
      'request-timeout': text,
      'idle-timeout': text,
      'request-buffer-size': text,
      'body-timeout': text,
      'min-body-rate': text,
      'min-body-rate-grace': text,
      'max-uploads-per-client': text,
      'connect-timeout': text,
      'upstream-timeout': text,
      'max-connections': text,
      'max-connections-per-address': text,
      workers: text,
      'accept-batch': text,
      'shutdown-grace': text,
      'log-level': text,
      'access-log': { type: 'boolean' },
      metrics: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
