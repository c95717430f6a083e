import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { treesCpuMicros } from '../macro/cpu.js';
import { benchHost } from '../macro/http-probe.js';
import { oneCore } from '../macro/layout.js';
import { type Origin, startOrigin } from '../macro/origin.js';
import { freePort } from '../macro/ports.js';
import type { Supervisor } from '../macro/processes.js';
import { waitUntilQuiet } from '../macro/quiet.js';
import { benchTable, cli } from '../macro/targets/swarmgate.js';
import type { RunningTarget } from '../macro/targets/target.js';
import { findExecutable } from '../macro/targets/target.js';
import type { BenchOptions } from '../options.js';
import { startClient, waitForPhase } from './client-process.js';
import { withFdLimit, workersFor } from './fd-limit.js';
import {
  type GatewayContext,
  nginxConfig,
  nginxOneRoute,
  startNginx,
  startNodeHttpProxy,
  startSwarmgate,
} from './gateways.js';
import { treeRssBytes } from './memory.js';
import { largeNginxHttp, largeTable } from './route-tables.js';
import {
  type IdleRow,
  type ScaleResult,
  type ScaleSizes,
  type SwapRow,
  swapWindowMs,
  swapWindows,
  type TransferRow,
  type WebSocketRow,
} from './scale-result.js';

const GiB = 1024 ** 3;
const fullSizes: ScaleSizes = {
  idleConnections: 10_000,
  websockets: 10_000,
  websocketRounds: 3,
  websocketIntervalMs: 10_000,
  transferBytes: GiB,
  routes: 10_000,
  upstreams: 5,
  swapConnections: 64,
  swapLoadRoutes: 100,
  swapBeforeS: 10,
  swapAfterS: 20,
};
const quickSizes: ScaleSizes = {
  ...fullSizes,
  idleConnections: 1_000,
  websockets: 1_000,
  websocketRounds: 1,
  transferBytes: GiB / 4,
  swapBeforeS: 7,
  swapAfterS: 15,
};

/**
 * The rows' gateways, each started afresh for every row: nginx is the reference, `node-http` (a bare
 * node:http proxy, `node-http-proxy.ts`) the floor under swarmgate, in the idle and large-body rows.
 */
const gatewayNames = ['nginx', 'node-http', 'swarmgate'] as const;
type GatewayName = (typeof gatewayNames)[number];
/** Rows without the floor: it proxies no upgrades, and has no table to swap. */
const withoutFloor = new Set(['websocket', 'swap']);

/** Time for memory to settle once connections are open (kernel and allocator work after the last accept). */
const settleMs = 2_000;
/** Unmeasured load before the swap row's "before" window. */
const swapWarmupMs = 2_000;
const openTimeoutMs = 180_000;
const transferTimeoutMs = 300_000;
const appliedTimeoutMs = 20_000;

const scaleOrigin = fileURLToPath(new URL('./scale-origin.js', import.meta.url));
const fastOrigin = fileURLToPath(new URL('../macro/origin-server.js', import.meta.url));

/** What every row needs besides its gateway and that gateway's context. */
interface Step {
  supervisor: Supervisor;
  repoRoot: string;
  sizes: ScaleSizes;
  log: (line: string) => void;
}

/**
 * The scale rows: idle connections, WebSockets, large bodies, a large table swapped under load. Each
 * row runs nginx then swarmgate, each started afresh with one worker on CPU 1; the load generator
 * (`scale-client.ts`) and the origin share CPU 0, as in the macro benchmark's 1-core layout.
 */
export async function runScale(
  options: BenchOptions,
  supervisor: Supervisor,
  repoRoot: string,
  log: (line: string) => void,
): Promise<ScaleResult> {
  const sizes = options.quick ? quickSizes : fullSizes;
  const result: ScaleResult = {
    sizes,
    idle: [],
    websocket: [],
    transfer: [],
    swap: [],
    failures: [],
    notes: [],
  };
  const gateways = gatewayNames.filter((name) => {
    if (options.targets && !options.targets.includes(name)) return false;
    const missing =
      name === 'nginx' ? !findExecutable('nginx') : name === 'swarmgate' && !existsSync(cli(repoRoot));
    if (missing) result.notes.push(`${name} skipped: not installed or not built`);
    return !missing;
  });
  const portNote = localPortNote(2 * Math.max(sizes.idleConnections, sizes.websockets));
  if (portNote) result.notes.push(portNote);

  const scratch = await mkdtemp(join(tmpdir(), 'swarmgate-scale-'));
  supervisor.removeOnExit(scratch);
  let step = 0;
  const each = async (
    row: string,
    origin: Origin,
    measure: (gateway: GatewayName, context: GatewayContext) => Promise<void>,
  ) => {
    for (const gateway of gateways) {
      if (gateway === 'node-http' && withoutFloor.has(row)) continue;
      const dir = join(scratch, `${++step}-${row}-${gateway}`);
      await mkdir(dir, { recursive: true });
      try {
        await measure(gateway, { supervisor, origin, dir, repoRoot });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        result.failures.push({ row, target: gateway, error: message.slice(0, 2000) });
        log(`scale ${row} ${gateway}: FAILED — ${message.slice(0, 500)}`);
      }
    }
  };
  const base = { supervisor, repoRoot, sizes, log };
  try {
    const origin = await startOrigin(supervisor, 2, scaleOrigin, withFdLimit);
    try {
      await origin.pin(oneCore.loadCpus!);
      await each('idle', origin, async (g, c) => {
        result.idle.push(await idle(base, g, c));
      });
      await each('websocket', origin, async (g, c) => {
        result.websocket.push(await websockets(base, g, c));
      });
      for (const direction of ['upload', 'download'] as const)
        await each(direction, origin, async (g, c) => {
          result.transfer.push(await transfer(base, g, c, direction));
        });
    } finally {
      await supervisor.stop(origin.process);
    }
    // One listener more than a backend has upstreams: the swap moves every backend one listener along.
    const swapOrigin = await startOrigin(supervisor, sizes.upstreams + 1, fastOrigin);
    try {
      await swapOrigin.pin(oneCore.loadCpus!);
      await each('swap', swapOrigin, async (g, c) => {
        result.swap.push(await swap(base, g, c));
      });
    } finally {
      await supervisor.stop(swapOrigin.process);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return result;
}

/** A note when the ephemeral port range cannot hold the rows' client and upstream connections at once. */
function localPortNote(needed: number): string | undefined {
  const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1')
    .trim()
    .split(/\s+/)
    .map(Number);
  const ports = high! - low! + 1;
  return ports >= needed
    ? undefined
    : `net.ipv4.ip_local_port_range has ${ports} ports, fewer than the ${needed} the rows open`;
}

/**
 * Starts `gateway` in front of the context's origin with one route (`/`, and `/ws` upgraded), with
 * `workers` worker processes (all on the gateway's one CPU).
 */
async function startOneRoute(
  gateway: GatewayName,
  context: GatewayContext,
  workers = 1,
): Promise<RunningTarget> {
  if (gateway === 'nginx')
    return startNginx(context, (port) =>
      nginxConfig(context.dir, nginxOneRoute(port, context.origin, workers), workers),
    );
  if (gateway === 'node-http') return startNodeHttpProxy(context);
  const table = join(context.dir, 'table.json');
  await writeFile(table, JSON.stringify(benchTable(context.origin)));
  return startSwarmgate(context, table, await freePort(), workers);
}

/** RSS of the gateway's tree once it has been quiet for a moment (after its start-up probe). */
async function quietRss(running: RunningTarget): Promise<number> {
  await waitUntilQuiet([running.process.pid], 5_000);
  return treeRssBytes(running.process.pid);
}

async function idle(step: Step, name: GatewayName, context: GatewayContext): Promise<IdleRow> {
  const running = await startOneRoute(name, context);
  try {
    const connections = step.sizes.idleConnections;
    const rssBeforeBytes = await quietRss(running);
    const client = startClient(step.supervisor, {
      mode: 'idle',
      port: running.port,
      host: benchHost,
      connections,
      holdMs: settleMs + 1_000,
    });
    try {
      const { opened = 0 } = await waitForPhase(client, 'open', openTimeoutMs);
      await sleep(settleMs);
      const rssAfterBytes = treeRssBytes(running.process.pid);
      const { open: held = 0 } = await waitForPhase(client, 'done', settleMs + 30_000);
      const row = {
        target: name,
        connections,
        opened,
        held,
        rssBeforeBytes,
        rssAfterBytes,
        perConnectionBytes: (rssAfterBytes - rssBeforeBytes) / Math.max(opened, 1),
      };
      step.log(
        `scale idle ${name}: ${opened}/${connections} open, ${(row.perConnectionBytes / 1024).toFixed(1)} KiB each`,
      );
      return row;
    } finally {
      await step.supervisor.stop(client);
    }
  } finally {
    await running.stop();
  }
}

async function websockets(step: Step, name: GatewayName, context: GatewayContext): Promise<WebSocketRow> {
  const { websockets: connections, websocketRounds: rounds, websocketIntervalMs: intervalMs } = step.sizes;
  // Each WebSocket holds a client and an upstream socket in the gateway.
  const workers = workersFor(2 * connections);
  const running = await startOneRoute(name, context, workers);
  const pid = running.process.pid;
  try {
    const rssBeforeBytes = await quietRss(running);
    const pauseMs = settleMs + 1_000;
    const client = startClient(step.supervisor, {
      mode: 'websocket',
      port: running.port,
      host: benchHost,
      connections,
      pauseMs,
      intervalMs,
      rounds,
    });
    try {
      const { opened = 0 } = await waitForPhase(client, 'open', openTimeoutMs);
      await sleep(settleMs);
      const rssIdle = treeRssBytes(pid);
      await waitForPhase(client, 'messaging', pauseMs + 10_000);
      const cpuBefore = treesCpuMicros([pid]);
      const started = performance.now();
      const done = await waitForPhase(client, 'messaged', rounds * intervalMs + 30_000);
      const cpuS = (treesCpuMicros([pid]) - cpuBefore) / 1e6;
      const wallS = (performance.now() - started) / 1e3;
      const rssOpenBytes = Math.max(rssIdle, treeRssBytes(pid));
      const row: WebSocketRow = {
        target: name,
        workers,
        connections,
        opened,
        held: done.open ?? 0,
        sent: done.sent ?? 0,
        echoed: done.echoed ?? 0,
        rssBeforeBytes,
        rssOpenBytes,
        perSocketBytes: (rssOpenBytes - rssBeforeBytes) / Math.max(opened, 1),
        cpuS,
        wallS,
        p50Ms: done.p50Ms ?? 0,
        p99Ms: done.p99Ms ?? 0,
        maxMs: done.maxMs ?? 0,
      };
      step.log(
        `scale websocket ${name}: ${opened}/${connections} open, ${row.echoed}/${row.sent} echoed, ` +
          `${(row.perSocketBytes / 1024).toFixed(1)} KiB each, p99 ${row.p99Ms.toFixed(2)} ms, ${(cpuS / wallS).toFixed(3)} cores`,
      );
      await waitForPhase(client, 'done', pauseMs + 10_000);
      return row;
    } finally {
      await step.supervisor.stop(client);
    }
  } finally {
    await running.stop();
  }
}

async function transfer(
  step: Step,
  name: GatewayName,
  context: GatewayContext,
  direction: 'upload' | 'download',
): Promise<TransferRow> {
  const running = await startOneRoute(name, context);
  const pid = running.process.pid;
  try {
    const bytes = step.sizes.transferBytes;
    const rssBeforeBytes = await quietRss(running);
    let rssPeakBytes = rssBeforeBytes;
    const client = startClient(step.supervisor, {
      mode: direction,
      port: running.port,
      host: benchHost,
      bytes,
    });
    try {
      // Sampled every 100 ms: a peak shorter than that can slip between two readings.
      for (
        const deadline = performance.now() + transferTimeoutMs;
        client.running() && performance.now() < deadline;
      ) {
        rssPeakBytes = Math.max(rssPeakBytes, treeRssBytes(pid));
        await sleep(100);
      }
      const done = await waitForPhase(client, 'done', 1_000);
      const seconds = done.seconds ?? 0;
      const row: TransferRow = {
        target: name,
        direction,
        bytes,
        status: done.status ?? 0,
        seconds,
        throughput: bytes / Math.max(seconds, 1e-3),
        rssBeforeBytes,
        rssPeakBytes,
        peakGrowthBytes: rssPeakBytes - rssBeforeBytes,
      };
      step.log(
        `scale ${direction} ${name}: status ${row.status}, ${(row.throughput / 2 ** 20).toFixed(0)} MiB/s, ` +
          `peak RSS growth ${(row.peakGrowthBytes / 2 ** 20).toFixed(1)} MiB`,
      );
      return row;
    } finally {
      await step.supervisor.stop(client);
    }
  } finally {
    await running.stop();
  }
}

/** The new table's version as swarmgate's admin API serves it (`/api/status`), or undefined. */
function servedVersion(adminPort: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = get(
      { host: '127.0.0.1', port: adminPort, path: '/api/status', agent: false, timeout: 2_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => {
          try {
            resolve((JSON.parse(body) as { tableVersion?: string }).tableVersion);
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/**
 * Full closed-loop load over the whole table; after the warm-up and the "before" seconds, the table is
 * swapped for one where every backend has one upstream replaced. Both files are written before the load
 * starts, so the swap itself is a rename and a SIGHUP.
 */
async function swap(step: Step, name: GatewayName, context: GatewayContext): Promise<SwapRow> {
  const { routes, upstreams } = step.sizes;
  const oldPorts = context.origin.ports.slice(0, upstreams);
  const newPorts = context.origin.ports.slice(1, upstreams + 1);
  let running: RunningTarget;
  let live: string;
  let next: string;
  let applied: (() => Promise<number>) | undefined;
  if (name === 'nginx') {
    const started = await startNginx(context, (port) =>
      nginxConfig(context.dir, largeNginxHttp(routes, oldPorts, port)),
    );
    running = started;
    live = started.conf;
    next = `${live}.next`;
    await writeFile(next, nginxConfig(context.dir, largeNginxHttp(routes, newPorts, started.port)));
  } else {
    live = join(context.dir, 'table.json');
    next = join(context.dir, 'table.next.json');
    const newTable = largeTable(routes, newPorts);
    await writeFile(live, JSON.stringify(largeTable(routes, oldPorts)));
    await writeFile(next, JSON.stringify(newTable));
    const adminPort = await freePort();
    running = await startSwarmgate(context, live, adminPort);
    applied = async () => {
      const from = performance.now();
      for (const deadline = from + appliedTimeoutMs; performance.now() < deadline; await sleep(100)) {
        if ((await servedVersion(adminPort)) === newTable.version) return performance.now() - from;
      }
      throw new Error(`the new table was not served ${appliedTimeoutMs} ms after the SIGHUP`);
    };
  }
  try {
    await waitUntilQuiet([running.process.pid], 5_000);
    const out = join(context.dir, 'latencies.json');
    const beforeMs = swapWarmupMs + step.sizes.swapBeforeS * 1e3;
    const client = startClient(step.supervisor, {
      mode: 'load',
      port: running.port,
      routes,
      loadRoutes: step.sizes.swapLoadRoutes,
      connections: step.sizes.swapConnections,
      durationMs: beforeMs + step.sizes.swapAfterS * 1e3,
      out,
    });
    try {
      await waitForPhase(client, 'loading', 10_000);
      await sleep(beforeMs);
      const swapMs = Date.now();
      await rename(next, live);
      process.kill(running.process.pid, 'SIGHUP');
      const appliedAfterMs = await applied?.();
      const servedMs = appliedAfterMs === undefined ? undefined : swapMs + appliedAfterMs;
      await waitForPhase(client, 'done', step.sizes.swapAfterS * 1e3 + 30_000);
      const load = JSON.parse(await readFile(out, 'utf8')) as {
        ends: number[];
        latencies: number[];
        errors: number;
        reconnects: number;
      };
      const { before, around } = swapWindows(load.ends, load.latencies, swapMs, servedMs);
      if (around.count === 0 || before.count === 0)
        throw new Error(`no requests ended within ${swapWindowMs} ms of the swap`);
      const row: SwapRow = {
        target: name,
        routes,
        upstreams,
        requests: load.latencies.length,
        errors: load.errors,
        reconnects: load.reconnects,
        beforeP99Ms: before.p99Ms,
        aroundP99Ms: around.p99Ms,
        aroundS: around.seconds,
        aroundMaxMs: around.maxMs,
        appliedAfterMs,
      };
      step.log(
        `scale swap ${name}: p99 ${row.beforeP99Ms.toFixed(2)} ms before, ${row.aroundP99Ms.toFixed(2)} ms around ` +
          `(max ${row.aroundMaxMs.toFixed(1)} ms), ${row.errors} errors` +
          (appliedAfterMs === undefined ? '' : `, applied after ${appliedAfterMs.toFixed(0)} ms`),
      );
      return row;
    } finally {
      await step.supervisor.stop(client);
    }
  } finally {
    await running.stop();
  }
}
