import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { GatewayOptions } from '../../../../src/dataplane/gateway.js';
import { ConnectionLimits } from '../../../../src/dataplane/http/connection-limits.js';
import { TrustedProxies } from '../../../../src/dataplane/http/trusted-proxies.js';
import { attachConnectionMetrics } from '../../../../src/observability/connection-metrics.js';
import { registerStateMetrics } from '../../../../src/observability/state-metrics.js';
import { startServer, waitFor } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { startGateway } from './harness.js';

// Loopback is 127.0.0.0/8 on Linux: a second client address needs no setup.
const FLOODER = '127.0.0.1';
const BYSTANDER = '127.0.0.2';

interface AfterHook {
  after: (fn: () => Promise<void> | void) => void;
}

/** A gateway in front of an upstream answering `ok`, with the connection metrics in `registry`. */
async function limitedGateway(t: AfterHook, options: Partial<GatewayOptions>) {
  const web = await startServer(t, (_req, res) => res.end('ok'));
  const registry = new Registry();
  t.after(attachConnectionMetrics(registry));
  const started = await startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web:80', { port: web.port })])]),
    options,
  );
  registerStateMetrics(registry, started.gateway);
  return { ...started, registry };
}

/** A client connection from `localAddress`, once the kernel accepted it; destroyed after the test. */
function connectFrom(t: AfterHook, port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(socket));
    socket.once('error', reject);
    t.after(() => {
      socket.destroy();
    });
  });
}

/** Whether the server closed `socket` within `ms` (a refusal resets it at once). */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Connects from `localAddress`: whether the gateway reset the connection (at connect or soon after). */
async function resetAt(t: AfterHook, port: number, localAddress: string): Promise<boolean> {
  let socket: Socket;
  try {
    socket = await connectFrom(t, port, localAddress);
  } catch (err) {
    // The reset may come before the client saw its connect complete.
    return (err as NodeJS.ErrnoException).code === 'ECONNRESET';
  }
  return closedWithin(socket, 5_000);
}

/** Opens `count` connections one at a time, each counted by the gateway before the next. */
async function admitted(
  t: AfterHook,
  port: number,
  localAddress: string,
  count: number,
  open: () => number,
): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const before = open();
    sockets.push(await connectFrom(t, port, localAddress));
    await waitFor(() => open() === before + 1, `connection ${i + 1} from ${localAddress} to be admitted`);
  }
  return sockets;
}

/** One request on a new connection from `localAddress`: the status and how long it took. */
function timedGet(port: number, localAddress: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, localAddress, agent: false, headers: { host: 'app.example.com' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The value of the sample `series` (name plus labels, exactly as exposed). */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('issue 17: a flood from one address beyond its cap is reset, while another address is served', async (t) => {
  const perAddress = 20;
  const { gateway, port, logs, registry } = await limitedGateway(t, {
    connectionLimits: { maxConnections: 1_000, maxConnectionsPerAddress: perAddress },
    // Connections accepted on the socket's further descriptors pass the same caps.
    acceptBatch: 3,
  });
  assert.equal(gateway.acceptBatch, 3);
  const open = () => gateway.connections;
  const held = await admitted(t, port, FLOODER, perAddress, open);

  // The flood: waves of new connections from the full address, each one reset by the gateway.
  let floodRefused = 0;
  let flooding = true;
  const flood = (async () => {
    for (let wave = 0; wave < 10 && flooding; wave++) {
      const closed = await Promise.all(Array.from({ length: 20 }, () => resetAt(t, port, FLOODER)));
      floodRefused += closed.filter(Boolean).length;
      assert.ok(closed.every(Boolean), `wave ${wave}: every connection over the cap is reset`);
    }
  })();
  const latencies: number[] = [];
  for (let i = 0; i < 10; i++) {
    const answer = await timedGet(port, BYSTANDER);
    assert.equal(answer.status, 200);
    latencies.push(answer.ms);
  }
  flooding = false;
  await flood;
  // Generous: two noisy cores shared with other builds; the flood costs the bystander no waiting.
  assert.ok(Math.max(...latencies) < 2_000, `bystander latencies ${latencies.map(Math.round).join(', ')} ms`);
  assert.ok(floodRefused >= 20, `${floodRefused} flood connections refused`);

  // The admitted connections of the flooding address still work.
  held[0]!.write('GET / HTTP/1.1\r\nhost: app.example.com\r\n\r\n');
  const reply = await new Promise<string>((resolve) =>
    held[0]!.once('data', (b: Buffer) => resolve(String(b))),
  );
  assert.match(reply, /^HTTP\/1\.1 200 /);

  await waitFor(() => open() === perAddress, 'the bystander’s connections to close');
  const page = await registry.metrics();
  assert.equal(
    sample(page, 'swarmgate_client_connections_refused_total{reason="per_address"}'),
    floodRefused,
  );
  assert.equal(sample(page, 'swarmgate_client_connections_refused_total{reason="total"}'), 0);
  assert.equal(sample(page, 'swarmgate_client_connections'), perAddress, 'the bystander’s are closed');
  const warnings = logs.filter((l) => l.msg === 'refused client connections over a connection limit');
  // One line per 10 s, not one per connection (a slow machine may take more than one interval).
  assert.ok(warnings.length >= 1 && warnings.length <= 3, `${warnings.length} log lines`);
  assert.equal(warnings[0]!.code, 'SG_ERR_CONNECTION_LIMIT');
  assert.equal(warnings[0]!.reason, 'per_address');
  assert.equal(warnings[0]!.address, FLOODER);
  assert.equal(warnings[0]!.limit, perAddress);

  // Closed connections give their slots back: the count goes to zero, and the address may open as many again.
  for (const socket of held) socket.destroy();
  await waitFor(() => open() === 0, 'every connection to be released');
  await admitted(t, port, FLOODER, perAddress, open);
});

test('the total cap resets connections from any address once the gateway holds that many', async (t) => {
  const { gateway, port, registry } = await limitedGateway(t, {
    connectionLimits: { maxConnections: 6, maxConnectionsPerAddress: 0 },
  });
  const open = () => gateway.connections;
  const first = await admitted(t, port, FLOODER, 3, open);
  await admitted(t, port, BYSTANDER, 3, open);
  for (const from of [FLOODER, BYSTANDER])
    assert.ok(await resetAt(t, port, from), `${from} over the total cap`);
  const page = await registry.metrics();
  assert.equal(sample(page, 'swarmgate_client_connections_refused_total{reason="total"}'), 2);
  assert.equal(sample(page, 'swarmgate_client_connections'), 6);

  first[0]!.destroy();
  await waitFor(() => open() === 5, 'the closed connection to be released');
  await admitted(t, port, BYSTANDER, 1, open);
  assert.equal((await timedGet(port, FLOODER).catch(() => ({ status: 0 }))).status, 0, 'full again');
});

test('a trusted proxy carries many clients: only the total cap applies to it', async (t) => {
  const { gateway, port } = await limitedGateway(t, {
    trustedProxies: [`${BYSTANDER}/32`],
    connectionLimits: { maxConnections: 100, maxConnectionsPerAddress: 3 },
  });
  const open = () => gateway.connections;
  await admitted(t, port, BYSTANDER, 8, open);
  await admitted(t, port, FLOODER, 3, open);
  assert.ok(await resetAt(t, port, FLOODER), 'an untrusted address is capped');
  assert.equal((await timedGet(port, BYSTANDER)).status, 200);
});

test('ConnectionLimits forgets an address once its last connection closes', async (t) => {
  const limits = new ConnectionLimits(
    { maxConnections: 0, maxConnectionsPerAddress: 2 },
    new TrustedProxies([]),
    pino({ level: 'silent' }),
  );
  const server = createServer((socket) => socket.on('error', () => {}));
  limits.guard(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const a = await connectFrom(t, port, FLOODER);
  const b = await connectFrom(t, port, BYSTANDER);
  await waitFor(() => limits.open === 2, 'both connections counted');
  assert.equal(limits.addresses, 2);
  a.destroy();
  b.destroy();
  await waitFor(() => limits.open === 0, 'both released');
  assert.equal(limits.addresses, 0, 'no entry is left for addresses without connections');
});

test('issue 17: every counted connection shares one close listener (no closure per idle connection)', async (t) => {
  const limits = new ConnectionLimits(
    { maxConnections: 0, maxConnectionsPerAddress: 2 },
    new TrustedProxies([]),
    pino({ level: 'silent' }),
  );
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => {});
    accepted.push(socket);
  });
  limits.guard(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of accepted) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  await connectFrom(t, port, FLOODER);
  await connectFrom(t, port, BYSTANDER);
  await waitFor(() => accepted.length === 2, 'both connections accepted');
  const [first, second] = accepted.map((socket) => socket.listeners('close'));
  assert.equal(first!.length, 1);
  assert.equal(first![0], second![0], 'the same listener function on both sockets');
  for (const socket of accepted) socket.destroy();
  await waitFor(() => limits.open === 0 && limits.addresses === 0, 'both released');
});
