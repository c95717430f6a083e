import diagnostics_channel from 'node:diagnostics_channel';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Gateway, type GatewayOptions } from '../../../../src/dataplane/gateway.js';
import { UpstreamRegistry } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import type { RoutingTable } from '../../../../src/routing/table.js';
import { registryOptions } from '../upstreams/table-fixtures.js';

interface AfterHook {
  after: (fn: () => Promise<void> | void) => void;
}

/** Log lines a gateway wrote, parsed. */
export type LogLine = Record<string, unknown> & { msg: string; code?: string };

/** A gateway on 127.0.0.1 (port 0) with its own registry and a captured pino log, closed after the test. */
export interface TestGateway {
  gateway: Gateway;
  registry: UpstreamRegistry;
  port: number;
  logs: LogLine[];
}

export async function startGateway(
  t: AfterHook,
  table: RoutingTable | undefined,
  options: Partial<GatewayOptions> = {},
): Promise<TestGateway> {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  const registry = options.registry ?? new UpstreamRegistry(registryOptions());
  const gateway = new Gateway({
    http: ['127.0.0.1:0'],
    registry,
    compile: { role: 'run', stickySecret: Buffer.from('test-secret') },
    logger: pino({ level: 'debug' }, sink),
    ...options,
  });
  if (table) gateway.setTable(table);
  const [address] = await gateway.listen();
  t.after(async () => {
    await gateway.close(0);
    await registry.close();
  });
  return { gateway, registry, port: address!.port, logs };
}

/** A response read to the end. */
export interface TestResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface TestRequest {
  method?: string;
  path?: string;
  host?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

/** One request on a fresh connection (no agent), through the gateway at `port`. */
export function send(port: number, req: TestRequest = {}): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: req.method ?? 'GET',
        path: req.path ?? '/',
        agent: false,
        headers: { host: req.host ?? 'app.example.com', ...req.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/**
 * Writes `text` on a raw socket and collects everything the server sends until it closes the
 * connection; `closed` tells whether it did (rather than the liveness bound running out).
 */
export function rawExchange(
  port: number,
  text: string | Buffer,
  limitMs = 5_000,
): Promise<{ reply: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ reply: Buffer.concat(chunks).toString('latin1'), closed: false });
    }, limitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ reply: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
    socket.write(text);
  });
}

/** Opens a raw client connection, closed after the test. */
export function rawSocket(t: AfterHook, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
    t.after(() => {
      socket.destroy();
    });
  });
}

/** Reads from `socket` until `done(received)` holds. */
export function readUntil(socket: Socket, done: (received: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      if (!done(received)) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(received);
    };
    const onClose = (): void => reject(new Error(`connection closed after ${received.length} bytes`));
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/** A promise with its resolve/reject (Node 20 has no `Promise.withResolvers`). */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Collects the messages published on diagnostics channel `name` during one test. */
export function channelMessages<T>(t: AfterHook, name: string): T[] {
  const seen: T[] = [];
  const onMessage = (message: unknown): void => {
    seen.push(message as T);
  };
  diagnostics_channel.subscribe(name, onMessage);
  t.after(() => {
    diagnostics_channel.unsubscribe(name, onMessage);
  });
  return seen;
}
