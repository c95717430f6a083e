import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Backend, Route, RoutingTable } from '../../../src/routing/table.js';
import { benchHost } from '../http-probe.js';
import type { Origin } from '../origin.js';
import { freePort } from '../ports.js';
import { launchProxy, type Target } from './target.js';

/** The built CLI under `root`. */
export const cli = (root: string) => join(root, 'dist', 'src', 'cli', 'main.js');

/**
 * Copies the built `dist/src` (with package.json and a node_modules link) into `dir`, so the processes
 * under test keep running the code as built when the bench started, even if `dist/` is rebuilt meanwhile
 * (swarmgate's workers load modules when they start). Returns the copy's root.
 */
export async function snapshotBuild(repoRoot: string, dir: string): Promise<string> {
  const root = join(dir, 'build');
  await cp(join(repoRoot, 'dist', 'src'), join(root, 'dist', 'src'), {
    recursive: true,
    filter: (source) => !source.endsWith('.map'),
  });
  await cp(join(repoRoot, 'package.json'), join(root, 'package.json'));
  await symlink(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  return root;
}

/**
 * A routing table with one sticky, round-robin route for the bench host, to a backend whose upstreams are
 * the origin's listeners (host-port mode: one port per upstream, as with host-mode published ports).
 */
export function benchTable(origin: Origin): RoutingTable {
  const backend: Backend = {
    id: 'bench:hostport:80',
    service: 'bench',
    serviceId: 'benchservice0',
    mode: 'hostport',
    port: 80,
    upstreams: origin.ports.map((port, i) => ({
      id: `task:bench-task-${i + 1}:${port}`,
      address: `127.0.0.1:${port}`,
      host: '127.0.0.1',
      port,
      task: `bench-task-${i + 1}`,
      slot: i + 1,
      node: 'bench-node',
      nodeHostname: hostname(),
      state: 'ready',
    })),
  };
  const route: Route = {
    id: 'bench/default',
    service: 'bench',
    name: 'default',
    hosts: [benchHost],
    path: '/',
    stripPath: false,
    priority: 0,
    backend: backend.id,
    sticky: { cookie: 'sg_bench' },
    balance: 'round-robin',
    health: null,
    tls: false,
    redirectHttps: false,
  };
  const content = { routes: [route], backends: [backend] };
  const version = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16);
  return { version, ...content, diagnostics: [] };
}

/** What a bench's `swarmgate run --table` is given. */
export interface SwarmgateRun {
  repoRoot: string;
  /** A fresh directory for the build snapshot and the sticky secret. */
  dir: string;
  table: string;
  port: number;
  adminPort: number;
  workers: number;
  /** Further options, after the common ones. */
  extra?: string[];
}

/**
 * The arguments (after node's path) of `swarmgate run --table` as every bench starts it: the build
 * snapshot, a fresh sticky secret, `--log-level warn`, and a 1 s shutdown grace (the bench stops it
 * with nothing in flight: no need for the default 10 s).
 */
export async function swarmgateRunArgs(run: SwarmgateRun): Promise<string[]> {
  const secret = join(run.dir, 'sticky-secret');
  await writeFile(secret, randomBytes(32).toString('hex'), { mode: 0o600 });
  return [
    cli(await snapshotBuild(run.repoRoot, run.dir)),
    'run',
    '--table',
    run.table,
    '--http',
    `127.0.0.1:${run.port}`,
    '--admin',
    `127.0.0.1:${run.adminPort}`,
    ...(run.workers > 1 ? ['--workers', String(run.workers)] : []),
    '--sticky-secret-file',
    secret,
    '--log-level',
    'warn',
    '--shutdown-grace',
    '1s',
    ...(run.extra ?? []),
  ];
}

/** swarmgate `run --table`: the bench table, a sticky secret, `--workers` on two cores. */
export const swarmgate: Target = {
  name: 'swarmgate',
  sticky: true,
  config: 'run --table (1 route, sticky cookie, round-robin), --log-level warn, --workers 2 on 2 cores',
  unavailable: (repoRoot) => (existsSync(cli(repoRoot)) ? undefined : `${cli(repoRoot)} is not built`),
  start: (context) => {
    const { dir, layout, origin, repoRoot } = context;
    return launchProxy(context, process.execPath, async (port) => {
      const table = join(dir, 'table.json');
      await writeFile(table, JSON.stringify(benchTable(origin), null, 2));
      return swarmgateRunArgs({
        repoRoot,
        dir,
        table,
        port,
        adminPort: await freePort(),
        workers: layout.workers,
      });
    });
  },
};
