import type { ScaleResult } from '../../../../bench/scale/scale-result.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A full-size scale result where swarmgate meets every goal; tests break one thing at a time. */
export function scaleResult(): ScaleResult {
  return {
    sizes: {
      idleConnections: 10_000,
      websockets: 10_000,
      websocketRounds: 3,
      websocketIntervalMs: 10_000,
      transferBytes: 1024 * MiB,
      routes: 10_000,
      upstreams: 5,
      swapConnections: 64,
      swapLoadRoutes: 100,
      swapBeforeS: 10,
      swapAfterS: 8,
    },
    idle: [idle('nginx', 2 * KiB), idle('swarmgate', 5 * KiB)],
    websocket: [websocket('nginx', 10 * KiB, 1, 0.01), websocket('swarmgate', 25 * KiB, 2, 0.05)],
    transfer: [
      transfer('nginx', 'upload', 500 * MiB, 0),
      transfer('swarmgate', 'upload', 400 * MiB, 20 * MiB),
      transfer('nginx', 'download', 600 * MiB, 0),
      transfer('swarmgate', 'download', 450 * MiB, 30 * MiB),
    ],
    swap: [swap('nginx', 5, 6, 12), swap('swarmgate', 4, 6, 0, 850)],
    failures: [],
    notes: [],
  };
}

/** `scale` with the floor's rows too: bare node:http holds an idle connection in 4 KiB, downloads at 500 MiB/s. */
export function withFloor(scale: ScaleResult): ScaleResult {
  scale.idle.splice(1, 0, idle('node-http', 4 * KiB));
  scale.transfer.push(transfer('node-http', 'download', 500 * MiB, 35 * MiB));
  return scale;
}

function idle(target: string, perConnectionBytes: number) {
  const rssBeforeBytes = 20 * MiB;
  return {
    target,
    connections: 10_000,
    opened: 10_000,
    held: 10_000,
    rssBeforeBytes,
    rssAfterBytes: rssBeforeBytes + 10_000 * perConnectionBytes,
    perConnectionBytes,
  };
}

function websocket(target: string, perSocketBytes: number, p99Ms: number, cores: number) {
  return {
    target,
    workers: 2,
    connections: 10_000,
    opened: 10_000,
    held: 10_000,
    sent: 30_000,
    echoed: 30_000,
    rssBeforeBytes: 20 * MiB,
    rssOpenBytes: 20 * MiB + 10_000 * perSocketBytes,
    perSocketBytes,
    cpuS: cores * 31,
    wallS: 31,
    p50Ms: p99Ms / 4,
    p99Ms,
    maxMs: p99Ms * 3,
  };
}

function transfer(target: string, direction: 'upload' | 'download', throughput: number, growth: number) {
  return {
    target,
    direction,
    bytes: 1024 * MiB,
    status: 200,
    seconds: (1024 * MiB) / throughput,
    throughput,
    rssBeforeBytes: 40 * MiB,
    rssPeakBytes: 40 * MiB + growth,
    peakGrowthBytes: growth,
  };
}

function swap(
  target: string,
  beforeP99Ms: number,
  aroundP99Ms: number,
  errors: number,
  appliedAfterMs?: number,
) {
  return {
    target,
    routes: 10_000,
    upstreams: 5,
    requests: 200_000,
    errors,
    reconnects: errors,
    beforeP99Ms,
    aroundP99Ms,
    aroundS: 5,
    aroundMaxMs: aroundP99Ms * 2,
    appliedAfterMs,
  };
}
