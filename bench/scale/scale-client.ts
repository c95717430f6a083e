/**
 * The scale rows' load generator, its own process so its CPU and memory stay out of the measured
 * numbers (`node scale-client.js '<ClientJob JSON>'`). It reports each phase as one JSON line on stdout
 * (`{"phase":"open",...}`) and pauses after the phases the bench measures, so the bench can read the
 * gateway's RSS and CPU at known moments. Every wait is bounded.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ResponseReader } from './response-reader.js';
import { routeHost } from './route-tables.js';
import { decodeFrames, encodeFrame } from './websocket-frames.js';

/** What one client run does (`run-scale.ts` gives one per row and gateway). */
export type ClientJob =
  | { mode: 'idle'; port: number; host: string; connections: number; holdMs: number }
  | {
      mode: 'websocket';
      port: number;
      host: string;
      connections: number;
      pauseMs: number;
      intervalMs: number;
      rounds: number;
    }
  | { mode: 'upload' | 'download'; port: number; host: string; bytes: number }
  | {
      mode: 'load';
      port: number;
      /** The table's size, and how many of its routes, spread evenly over it, the requests cycle through. */
      routes: number;
      loadRoutes: number;
      connections: number;
      durationMs: number;
      out: string;
    };

const connectTimeoutMs = 10_000;
/** Connections being set up at once: more would overflow the listen backlogs for no gain. */
const openParallel = 200;

const say = (phase: string, data: object = {}) =>
  process.stdout.write(`${JSON.stringify({ phase, ...data })}\n`);

/** Connects and waits for `ready` (a response, a 101) within the timeout; rejects on error or close. */
function open(
  port: number,
  hello: string,
  ready: (socket: Socket, done: () => void) => void,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    const timer = setTimeout(() => socket.destroy(new Error('setup timeout')), connectTimeoutMs);
    const fail = (error?: Error) => {
      clearTimeout(timer);
      reject(error ?? new Error('closed during setup'));
    };
    socket.once('error', fail);
    socket.once('close', () => fail());
    socket.once('connect', () => socket.write(hello));
    ready(socket, () => {
      clearTimeout(timer);
      socket.removeListener('error', fail);
      socket.removeAllListeners('close');
      socket.removeAllListeners('data');
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}

/** Opens `count` connections, `openParallel` at a time; returns the ones that opened. */
async function openMany(
  count: number,
  one: () => Promise<Socket>,
): Promise<{ sockets: Socket[]; failed: number }> {
  const sockets: Socket[] = [];
  let failed = 0;
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      try {
        sockets.push(await one());
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(openParallel, count) }, lane));
  return { sockets, failed };
}

const stillOpen = (sockets: Socket[]) =>
  sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;

/** `connections` keep-alive connections, each after one GET, then idle for `holdMs`. */
async function idle(job: Extract<ClientJob, { mode: 'idle' }>): Promise<void> {
  const hello = `GET / HTTP/1.1\r\nHost: ${job.host}\r\n\r\n`;
  const { sockets, failed } = await openMany(job.connections, () =>
    open(job.port, hello, (socket, done) => {
      const reader = new ResponseReader(() => done());
      socket.on('data', (data: Buffer) => reader.feed(data));
    }),
  );
  say('open', { opened: sockets.length, failed });
  await sleep(job.holdMs);
  say('done', { open: stillOpen(sockets) });
  for (const s of sockets) s.destroy();
}

const handshake = (host: string) =>
  `GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

/**
 * `connections` WebSockets; after a pause, each sends one small message every `intervalMs` (spread
 * evenly over the interval) for `rounds` rounds and times its echo.
 */
async function websocket(job: Extract<ClientJob, { mode: 'websocket' }>): Promise<void> {
  const { sockets, failed } = await openMany(job.connections, () =>
    open(job.port, handshake(job.host), (socket, done) => {
      let head = '';
      socket.on('data', (data: Buffer) => {
        head += data.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        if (head.startsWith('HTTP/1.1 101')) done();
        else socket.destroy(new Error(head.slice(0, 100)));
      });
    }),
  );
  say('open', { opened: sockets.length, failed });
  await sleep(job.pauseMs);

  const latencies: number[] = [];
  let sent = 0;
  const sentAt = new Float64Array(sockets.length);
  sockets.forEach((socket, i) => {
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      const { frames, rest } = decodeFrames(pending.length === 0 ? data : Buffer.concat([pending, data]));
      pending = rest;
      for (const _ of frames) latencies.push(performance.now() - sentAt[i]!);
    });
  });
  say('messaging');
  const payload = Buffer.from('swarmgate scale bench message 0123456789');
  const send = (i: number) => {
    const socket = sockets[i]!;
    if (socket.destroyed) return;
    sentAt[i] = performance.now();
    sent++;
    socket.write(encodeFrame(0x1, payload, true));
  };
  const timers: NodeJS.Timeout[] = [];
  for (let round = 0; round < job.rounds; round++) {
    for (let i = 0; i < sockets.length; i++) {
      timers.push(setTimeout(send, round * job.intervalMs + (i * job.intervalMs) / sockets.length, i));
    }
  }
  // The last message goes out just before rounds × interval; its echo gets one more second.
  await sleep(job.rounds * job.intervalMs + 1000);
  for (const t of timers) clearTimeout(t);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  say('messaged', {
    sent,
    echoed: latencies.length,
    open: stillOpen(sockets),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: latencies[latencies.length - 1] ?? 0,
  });
  await sleep(job.pauseMs);
  for (const s of sockets) s.destroy();
  say('done');
}

/** One upload or download of `bytes` on one connection; the time is from the first byte sent to the last read. */
async function transfer(job: Extract<ClientJob, { mode: 'upload' | 'download' }>): Promise<void> {
  const started = performance.now();
  const chunk = Buffer.alloc(1 << 20, 'u');
  const status = await new Promise<number>((resolve, reject) => {
    const socket = connect({ port: job.port, host: '127.0.0.1', noDelay: true });
    const reader = new ResponseReader((code) => {
      socket.destroy();
      resolve(code);
    });
    socket.on('data', (data: Buffer) => reader.feed(data));
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed before the response ended')));
    socket.once('connect', () => {
      if (job.mode === 'download') {
        socket.write(`GET /download?bytes=${job.bytes} HTTP/1.1\r\nHost: ${job.host}\r\n\r\n`);
        return;
      }
      socket.write(`POST /upload HTTP/1.1\r\nHost: ${job.host}\r\nContent-Length: ${job.bytes}\r\n\r\n`);
      let left = job.bytes;
      const pump = () => {
        while (left > 0) {
          const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= piece.length;
          if (!socket.write(piece)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
  });
  say('done', { status, bytes: job.bytes, seconds: (performance.now() - started) / 1e3 });
}

/**
 * Closed-loop load: `connections` keep-alive connections each send a GET as soon as the previous answer
 * ended, cycling through `loadRoutes` hosts spread over a `routes`-route table, for `durationMs`. Writes every request's end time (epoch ms) and latency
 * to `out`. A connection the server closes is reopened; a request it dropped counts as an error.
 */
async function load(job: Extract<ClientJob, { mode: 'load' }>): Promise<void> {
  const ends: number[] = [];
  const latencies: number[] = [];
  let errors = 0;
  let reconnects = 0;
  let nextHost = 0;
  const stride = Math.max(1, Math.floor(job.routes / job.loadRoutes));
  const hosts = Array.from({ length: Math.min(job.loadRoutes, job.routes) }, (_, i) => routeHost(i * stride));
  say('loading');
  const deadline = performance.now() + job.durationMs;
  const lane = async () => {
    while (performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        const socket = connect({ port: job.port, host: '127.0.0.1', noDelay: true });
        let sentAt = 0;
        let inFlight = false;
        const ask = () => {
          if (performance.now() >= deadline) return void socket.destroy();
          nextHost = (nextHost + 1) % hosts.length;
          inFlight = true;
          sentAt = performance.now();
          socket.write(`GET / HTTP/1.1\r\nHost: ${hosts[nextHost]}\r\n\r\n`);
        };
        const reader = new ResponseReader((status, close) => {
          inFlight = false;
          const now = performance.now();
          if (status === 200) {
            ends.push(performance.timeOrigin + now);
            latencies.push(now - sentAt);
          } else errors++;
          if (close) socket.destroy();
          else ask();
        });
        socket.on('data', (data: Buffer) => reader.feed(data));
        socket.on('error', () => {});
        socket.once('close', () => {
          if (inFlight) errors++;
          resolve();
        });
        socket.once('connect', ask);
      });
      if (performance.now() < deadline) reconnects++;
    }
  };
  await Promise.all(Array.from({ length: job.connections }, lane));
  writeFileSync(job.out, JSON.stringify({ ends, latencies, errors, reconnects }));
  say('done', { requests: latencies.length, errors, reconnects });
}

const job = JSON.parse(process.argv[2] ?? '{}') as ClientJob;
const modes = { idle, websocket, upload: transfer, download: transfer, load } as const;
await (modes[job.mode] as (j: ClientJob) => Promise<void>)(job);
// Sockets destroyed above may still hold the loop for a moment: the run is over.
process.exit(0);
