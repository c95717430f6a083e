/**
 * `swarmgate run` as a real child process on the host, for integration tests against the rig: free
 * loopback ports for the HTTP entrypoint and the admin API, a fresh sticky secret, readiness awaited
 * on `/readyz`, and the process killed when the test ends.
 *
 * @example
 * const rig = await Rig.load();
 * const gw = await startGateway({ docker: `unix://${rig.managerSocket}`, t });
 * await gw.waitForRoute('demo_web/default');
 * const res = await fetch(`${gw.http}/`, { headers: { host: 'a.test' } });
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { GatewayRoutesState } from '../../../src/dataplane/http/routes-state.js';
import type { Route } from '../../../src/routing/table.js';
import { waitFor } from '../../rig/wait.js';
import { repoRoot } from '../../support/paths.js';

/** The CLI the tests run: the compiled one, as users run it. */
export const SWARMGATE_MAIN = resolve(repoRoot, 'dist/src/cli/main.js');

/** A backend as `GET /api/routes` reports it: table data plus live state per upstream. */
export type BackendState = GatewayRoutesState['backends'][number];
/** An upstream with its runtime state (null when the registry does not know it). */
export type UpstreamState = BackendState['upstreams'][number];

/** One route of the served table, joined with its backend. */
export interface RouteState {
  route: Route;
  backend: BackendState;
  /** Shortcut for `backend.upstreams`. */
  upstreams: UpstreamState[];
}

/** A running `swarmgate run`. */
export interface GatewayProcess {
  /** The HTTP entrypoint, `http://127.0.0.1:PORT`. */
  http: string;
  /** The admin API, `http://127.0.0.1:PORT`. */
  admin: string;
  /** The HTTP entrypoint's port. */
  port: number;
  /** The `swarmgate run` process (the cluster primary with `--workers`). */
  pid: number;
  /** Everything the process wrote so far, stdout (pino JSON) and stderr (table renderings) interleaved. */
  logs(): string;
  /** `GET /api/routes`: the table in use with runtime state; null before the first table. */
  table(): Promise<GatewayRoutesState | null>;
  /**
   * Waits until route `id` (`<service>/<route>`) is served and `pred` holds for it; the default
   * predicate wants at least one upstream in state `ready`. Rejects after `timeoutMs` (default 60 s)
   * with the last state seen.
   */
  waitForRoute(id: string, pred?: (state: RouteState) => boolean, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after 15 s; resolves with the exit code (128 + signal number if killed). */
  stop(): Promise<number>;
}

/** Options for {@link startGateway}. */
export interface StartGatewayOptions {
  /** Docker endpoint of a manager, `unix:///...` (the rig's `managerSocket`); or else `table`. */
  docker?: string;
  /** A routing-table file to serve instead of discovering a swarm. */
  table?: string;
  /** Extra `swarmgate run` flags, after the ones this helper sets. */
  args?: string[];
  /** Environment of the child; default this process's. */
  env?: NodeJS.ProcessEnv;
  /** When given, the gateway is stopped in `t.after`. */
  t?: { after: (fn: () => Promise<void> | void) => void };
  /** How long to wait for `/readyz`; default 30 s. */
  readyTimeoutMs?: number;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
/** Children not yet exited, killed if the test process exits first so no gateway outlives its test. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A port the kernel just handed out on 127.0.0.1; free again once this resolves. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Spawns `node dist/src/cli/main.js run --docker ... --http 127.0.0.1:<free> --admin 127.0.0.1:<free>
 * --sticky-secret-file <tmp> --log-level info [...args]` and resolves once `/readyz` answers 200.
 * Rejects (after killing the child) if it exits or does not get ready in time, quoting its output.
 */
export async function startGateway(opts: StartGatewayOptions): Promise<GatewayProcess> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const dir = await mkdtemp(join(tmpdir(), 'sg-gateway-'));
  const secretFile = join(dir, 'sticky-secret');
  await writeFile(secretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const args = [
    SWARMGATE_MAIN,
    'run',
    ...(opts.docker !== undefined ? ['--docker', opts.docker] : ['--table', opts.table ?? '']),
    '--http',
    `127.0.0.1:${port}`,
    '--admin',
    `127.0.0.1:${adminPort}`,
    '--sticky-secret-file',
    secretFile,
    '--log-level',
    'info',
    ...(opts.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const output: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  const exited = new Promise<number>((resolveExit) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolveExit(code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 0) : 0));
    });
  });
  let exitCode: number | undefined;
  void exited.then((code) => {
    exitCode = code;
  });

  const logs = () => Buffer.concat(output).toString();
  const admin = `http://127.0.0.1:${adminPort}`;
  let stopping: Promise<number> | undefined;
  const stop = (): Promise<number> => {
    stopping ??= (async () => {
      if (exitCode === undefined) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(killer);
      await rm(dir, { recursive: true, force: true });
      return code;
    })();
    return stopping;
  };
  opts.t?.after(async () => {
    await stop();
  });

  const table = async (): Promise<GatewayRoutesState | null> => {
    const res = await fetch(`${admin}/api/routes`);
    if (res.status !== 200) throw new Error(`GET ${admin}/api/routes answered ${res.status}`);
    return (await res.json()) as GatewayRoutesState | null;
  };

  const waitForRoute = async (
    id: string,
    pred: (state: RouteState) => boolean = hasReadyUpstream,
    timeoutMs = 60_000,
  ): Promise<void> => {
    let last = 'no table yet';
    await waitFor(
      async () => {
        const state = routeState(await table(), id);
        last = state ? describeRoute(state) : 'route not in the table';
        return state !== undefined && pred(state);
      },
      { timeoutMs, what: () => `route ${id} (last: ${last})` },
    );
  };

  try {
    await waitFor(
      async () => {
        if (exitCode !== undefined) throw new Error(`swarmgate run exited with ${exitCode}`);
        const res = await fetch(`${admin}/readyz`);
        await res.arrayBuffer();
        return res.status === 200;
      },
      { timeoutMs: opts.readyTimeoutMs ?? 30_000, intervalMs: 100, what: 'swarmgate run to be ready' },
    );
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- swarmgate output ---\n${logs()}`);
  }
  return { http: `http://127.0.0.1:${port}`, admin, port, pid: child.pid!, logs, table, waitForRoute, stop };
}

/** Route `id` of a served table joined with its backend; undefined when absent. */
export function routeState(table: GatewayRoutesState | null, id: string): RouteState | undefined {
  const route = table?.routes.find((r) => r.id === id);
  const backend = route && table?.backends.find((b) => b.id === route.backend);
  return route && backend ? { route, backend, upstreams: backend.upstreams } : undefined;
}

function hasReadyUpstream(state: RouteState): boolean {
  return state.upstreams.some((u) => u.state === 'ready');
}

function describeRoute(state: RouteState): string {
  const upstreams = state.upstreams.map(
    (u) =>
      `${u.address} ${u.state}${u.runtime ? `/${u.runtime.state}${u.runtime.healthy ? '' : ' unhealthy'}` : ''}`,
  );
  return `${state.upstreams.length} upstreams [${upstreams.join(', ')}]`;
}
