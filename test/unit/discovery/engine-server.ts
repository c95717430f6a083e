import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineLists } from '../../../src/discovery/engine-snapshot.js';

/** What the server answers; tests change it between calls. */
export interface EngineServerState extends EngineLists {
  apiVersion: string;
  /** Answer list calls with this status and raw body instead of the list. */
  failure?: { status: number; body: string };
  /** Never answer list calls, like a hung daemon. */
  stall: boolean;
}

/** What a worker node (Docker 20.10) answers to list calls, with status 503. */
export const NOT_A_MANAGER_BODY = JSON.stringify({
  message:
    "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. " +
    'Please run this command on a manager node or promote the current node to a manager.',
});

/**
 * A real HTTP server on a unix socket in a temp folder that speaks the subset of the Docker Engine API
 * discovery uses: `/version`, the four lists, `/info` and a streaming `/events`. It records every request
 * and can go away and come back on the same path, like a restarting dockerd.
 */
export class EngineServer {
  readonly socketPath: string;
  readonly requests: { method: string; url: string }[] = [];
  state: EngineServerState = {
    apiVersion: '1.41',
    stall: false,
    services: [],
    tasks: [],
    nodes: [],
    networks: [],
  };
  #dir: string;
  #server: Server | undefined;
  #eventStreams = new Set<ServerResponse>();
  #eventStreamWaiters: (() => void)[] = [];

  private constructor() {
    this.#dir = mkdtempSync(join(tmpdir(), 'sg-engine-'));
    this.socketPath = join(this.#dir, 'docker.sock');
  }

  static async start(): Promise<EngineServer> {
    const server = new EngineServer();
    await server.listen();
    return server;
  }

  /** Starts answering (again) on `socketPath`. */
  async listen(): Promise<void> {
    rmSync(this.socketPath, { force: true });
    const server = createServer((req, res) => this.#answer(req, res));
    await new Promise<void>((resolve) => server.listen(this.socketPath, resolve));
    this.#server = server;
  }

  /** Goes away like a stopped daemon: open connections and event streams are cut, the socket refuses. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    this.#eventStreams.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** Stops and removes the temp folder. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** Number of event streams open now. */
  get eventStreams(): number {
    return this.#eventStreams.size;
  }

  /** Resolves once at least one event stream is open. */
  async waitForEventStream(): Promise<void> {
    if (this.#eventStreams.size > 0) return;
    await new Promise<void>((resolve) => this.#eventStreamWaiters.push(resolve));
  }

  /** Sends raw bytes to every open event stream, e.g. half a JSON line. */
  writeEvents(data: string): void {
    for (const res of this.#eventStreams) res.write(data);
  }

  /** Sends one event message to every open event stream. */
  emitEvent(event: { Type: string; Action: string; timeNano?: number }): void {
    this.writeEvents(`${JSON.stringify({ Actor: { ID: 'x', Attributes: {} }, scope: 'swarm', ...event })}\n`);
  }

  #answer(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push({ method: req.method ?? '', url: req.url ?? '' });
    const path = new URL(req.url ?? '/', 'http://docker').pathname;
    const route = /^\/v\d+\.\d+(\/.*)$/.exec(path)?.[1];
    const list = route === undefined ? undefined : LISTS[route];
    if (path === '/version') {
      sendJson(res, 200, { ApiVersion: this.state.apiVersion, MinAPIVersion: '1.12' });
    } else if (list !== undefined) {
      this.#answerList(res, list);
    } else if (route === '/info') {
      sendJson(res, 200, { Swarm: { LocalNodeState: 'active', ControlAvailable: true } });
    } else if (route === '/events') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      this.#eventStreams.add(res);
      res.on('close', () => this.#eventStreams.delete(res));
      for (const wake of this.#eventStreamWaiters.splice(0)) wake();
    } else {
      sendJson(res, 404, { message: `page not found: ${path}` });
    }
  }

  #answerList(res: ServerResponse, list: keyof EngineLists): void {
    if (this.state.stall) return;
    const failure = this.state.failure;
    if (failure) {
      res.writeHead(failure.status, { 'content-type': 'application/json' });
      res.end(failure.body);
    } else {
      sendJson(res, 200, this.state[list]);
    }
  }
}

const LISTS: Record<string, keyof EngineLists> = {
  '/services': 'services',
  '/tasks': 'tasks',
  '/nodes': 'nodes',
  '/networks': 'networks',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}
