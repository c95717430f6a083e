/**
 * The multi-node Docker Swarm test rig, for integration tests. `rig.sh` (next to this file) builds it:
 * one dockerd per node, each in its own network namespace; this module drives it.
 *
 * @example
 * const rig = await Rig.up();
 * await rig.deployStack('demo', compose);
 * t.after(() => rig.removeStack('demo'));
 * await rig.waitConverged('demo', { timeoutMs: 60_000 });
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { repoRoot } from '../support/paths.js';
import { run } from './run.js';
import { parseTasks, type RigNode, type RigTask } from './tasks.js';
import { type WaitOptions, waitFor } from './wait.js';

export type { RigNode, RigTask } from './tasks.js';
export { type WaitOptions, waitFor } from './wait.js';

/** The docker client that matches the rig's 20.10 daemons. */
export const DOCKER = '/usr/bin/docker';
/** The rig's command-line entry. */
export const RIG_SH = resolve(repoRoot, 'test/rig/rig.sh');

/** Images every node of the rig has; `swarmgate` only once `npm run build` has produced dist/. */
export const RIG_IMAGES = {
  /** busybox only: sh, wget, nslookup, sleep. */
  base: 'swarmgate-rig/base:latest',
  /** base plus the host's node binary. */
  node: 'swarmgate-rig/node:20',
  /** HTTP + WebSocket echo backend, port 80 (see images/whoami/server.mjs). */
  whoami: 'swarmgate-rig/whoami:latest',
  /** This repository's dist/ with production node_modules; entrypoint is the swarmgate CLI. */
  swarmgate: 'swarmgate/swarmgate:dev',
} as const;

/** Environment for a whoami service, so each task reports its name, slot and node. */
export const WHOAMI_ENV = {
  TASK_NAME: '{{.Task.Name}}',
  TASK_ID: '{{.Task.ID}}',
  TASK_SLOT: '{{.Task.Slot}}',
  TASK_NODE: '{{.Node.Hostname}}',
} as const;

/** The rig instance this process uses: SG_RIG_ID, default 0. */
export function rigId(): number {
  return Number(process.env.SG_RIG_ID ?? 0);
}

/** Where rig.sh writes the state of instance `id`. */
export function rigStatePath(id = rigId()): string {
  return `/var/lib/swarmgate-rig/${id}/rig.json`;
}

interface RigState {
  id: number;
  subnet: string;
  bridgeIp: string;
  managerSocket: string;
  nodes: RigNode[];
}

/** Options for {@link Rig.docker}. */
export interface DockerOptions {
  /** Node index to talk to; default 1 (always a manager). */
  node?: number;
  input?: string;
  /** Default 60 s. */
  timeoutMs?: number;
}

const STACK_LABEL = 'com.docker.stack.namespace';

/** A running rig: its nodes, docker on each, stacks, and failure injection. */
export class Rig {
  readonly id: number;
  readonly subnet: string;
  /** The root namespace's address on the rig bridge. */
  readonly bridgeIp: string;
  readonly managerSocket: string;
  readonly nodes: readonly RigNode[];

  private constructor(state: RigState) {
    this.id = state.id;
    this.subnet = state.subnet;
    this.bridgeIp = state.bridgeIp;
    this.managerSocket = state.managerSocket;
    this.nodes = state.nodes;
  }

  /**
   * Brings the rig up (`rig.sh up`): returns fast if a healthy rig of this shape is up, replaces one of
   * another shape. Default 3 nodes, 1 manager. Rejects with rig.sh's output on failure.
   */
  static async up(opts: { nodes?: number; managers?: number } = {}): Promise<Rig> {
    const shape = ['--nodes', String(opts.nodes ?? 3), '--managers', String(opts.managers ?? 1)];
    // Long enough to wait for another process's `up` (rig.sh serialises them with a lock).
    await run('bash', [RIG_SH, 'up', ...shape], { timeoutMs: 15 * 60_000 });
    return Rig.load();
  }

  /** The rig that is up now, from its state file; rejects if there is none. */
  static async load(): Promise<Rig> {
    const path = rigStatePath();
    const text = await readFile(path, 'utf8').catch(() => {
      throw new Error(`rig ${rigId()} is not up (no ${path}); run: bash ${RIG_SH} up`);
    });
    return new Rig(JSON.parse(text) as RigState);
  }

  /** Node by 1-based index. */
  node(index: number): RigNode {
    const node = this.nodes[index - 1];
    if (!node) throw new RangeError(`rig ${this.id} has no node ${index} (it has ${this.nodes.length})`);
    return node;
  }

  /** Runs `/usr/bin/docker -H <node's socket> ...args`; resolves with stdout, rejects with stderr. */
  docker(args: readonly string[], opts: DockerOptions = {}): Promise<string> {
    const socket = this.node(opts.node ?? 1).socket;
    return run(DOCKER, ['-H', `unix://${socket}`, ...args], {
      input: opts.input,
      timeoutMs: opts.timeoutMs ?? 60_000,
    });
  }

  /**
   * Starts a rolling update of `service` and returns without waiting for it: `docker service update
   * --detach --update-order ORDER ...change SERVICE`, where `change` is what changes and how the
   * update proceeds (`['--force']`, `['--env-add', 'X=1']`, `['--update-delay', '2s']`).
   */
  rollingUpdate(
    service: string,
    order: 'start-first' | 'stop-first',
    change: readonly string[],
  ): Promise<string> {
    return this.docker(['service', 'update', '--detach', '--update-order', order, ...change, service]);
  }

  /** `docker stack deploy` of a compose file (YAML or JSON text); images are never resolved against a registry. */
  async deployStack(name: string, compose: string): Promise<void> {
    await this.docker(['stack', 'deploy', '--resolve-image', 'never', '--compose-file', '-', name], {
      input: compose,
    });
  }

  /** Removes a stack and waits until its services, running containers (on Ready nodes) and networks are gone. */
  async removeStack(name: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    const label = `label=${STACK_LABEL}=${name}`;
    // stack rm fails on networks that still have endpoints; the loop below removes those later.
    await this.docker(['stack', 'rm', name]).catch(() => undefined);
    await this.waitFor(
      async () => {
        if ((await this.docker(['service', 'ls', '-q', '--filter', label])).trim()) return false;
        const ready = await this.#readyHostnames();
        for (const node of this.nodes.filter((n) => ready.has(n.hostname))) {
          if ((await this.docker(['ps', '-q', '--filter', label], { node: node.index })).trim()) return false;
        }
        const networks = lines(await this.docker(['network', 'ls', '-q', '--filter', label]));
        if (networks.length === 0) return true;
        await this.docker(['network', 'rm', ...networks]).catch(() => undefined);
        return false;
      },
      { timeoutMs: opts.timeoutMs ?? 60_000, what: `stack ${name} to be removed` },
    );
  }

  /**
   * Waits until every service of a stack (or the one service of that name) runs its desired number of
   * tasks, no task that should stop still runs, and no update is in progress. Tasks on nodes that are
   * not Ready are ignored: swarm cannot tell what runs there.
   */
  async waitConverged(stackOrService: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    let last = 'no services found yet';
    await this.waitFor(
      async () => {
        const services = await this.#servicesOf(stackOrService);
        if (services.length === 0) return false;
        const ready = await this.#readyHostnames();
        const pending: string[] = [];
        for (const service of services) {
          const state = await this.#serviceState(service, ready);
          if (state) pending.push(`${service}: ${state}`);
        }
        last = pending.join('; ');
        return pending.length === 0;
      },
      { timeoutMs: opts.timeoutMs ?? 60_000, what: () => `${stackOrService} to converge (${last})` },
    );
  }

  /** Tasks of a service that should be running (desired state running), with node, addresses and ports. */
  async tasks(service: string): Promise<RigTask[]> {
    const ids = lines(
      await this.docker(['service', 'ps', '-q', '--no-trunc', '--filter', 'desired-state=running', service]),
    );
    if (ids.length === 0) return [];
    const byId = new Map<string, RigNode>();
    for (const line of lines(await this.docker(['node', 'ls', '--format', '{{.ID}} {{.Hostname}}']))) {
      const [id = '', hostname] = line.split(' ');
      const node = this.nodes.find((n) => n.hostname === hostname);
      if (node) byId.set(id, node);
    }
    const json = await this.docker(['inspect', '--type', 'task', ...ids]);
    return parseTasks(json, service, (id) => byId.get(id));
  }

  /** Swarm's view of a node: ready, down, unknown or disconnected. */
  async nodeStatus(index: number): Promise<string> {
    const out = await this.docker([
      'node',
      'inspect',
      '--format',
      '{{.Status.State}}',
      this.node(index).hostname,
    ]);
    return out.trim();
  }

  /** Polls `fn` until it returns a value other than undefined/false; see {@link waitFor}. */
  waitFor<T>(fn: () => Promise<T | undefined | false>, opts: WaitOptions): Promise<T> {
    return waitFor(fn, opts);
  }

  /** SIGTERM the node's dockerd and containerd (dockerd stops its containers first). */
  stopNode(index: number): Promise<void> {
    return this.#inject('node-stop', index);
  }

  /** SIGKILL every process of the node, containers included: a power cut. */
  killNode(index: number): Promise<void> {
    return this.#inject('node-kill', index);
  }

  /** Starts a stopped or killed node; resolves once its dockerd answers. */
  startNode(index: number): Promise<void> {
    return this.#inject('node-start', index);
  }

  /** Takes the node's link down: it keeps running but reaches nothing. */
  cutLink(index: number): Promise<void> {
    return this.#inject('link-cut', index);
  }

  healLink(index: number): Promise<void> {
    return this.#inject('link-heal', index);
  }

  /** Freezes every process of the node (cgroup freezer): a hung machine. */
  freezeNode(index: number): Promise<void> {
    return this.#inject('node-freeze', index);
  }

  thawNode(index: number): Promise<void> {
    return this.#inject('node-thaw', index);
  }

  /** Restarts only dockerd (containerd keeps running); resolves once dockerd answers again. */
  restartDockerd(index: number): Promise<void> {
    return this.#inject('dockerd-restart', index);
  }

  async #inject(command: string, index: number): Promise<void> {
    this.node(index);
    await run('bash', [RIG_SH, command, String(index)], { timeoutMs: 120_000 });
  }

  async #readyHostnames(): Promise<Set<string>> {
    const out = await this.docker(['node', 'ls', '--format', '{{.Hostname}} {{.Status}}']);
    return new Set(
      lines(out)
        .filter((l) => l.endsWith(' Ready'))
        .map((l) => l.split(' ')[0] ?? ''),
    );
  }

  /** The services of stack `name`, or [name] if it is a service. */
  async #servicesOf(name: string): Promise<string[]> {
    const inStack = lines(
      await this.docker([
        'service',
        'ls',
        '--filter',
        `label=${STACK_LABEL}=${name}`,
        '--format',
        '{{.Name}}',
      ]),
    );
    if (inStack.length > 0) return inStack;
    const exists = await this.docker(['service', 'inspect', '--format', '{{.Spec.Name}}', name]).then(
      () => true,
      () => false,
    );
    return exists ? [name] : [];
  }

  /** Why the service has not converged, or '' if it has. */
  async #serviceState(service: string, ready: Set<string>): Promise<string> {
    const format =
      '{{if .Spec.Mode.Replicated}}{{.Spec.Mode.Replicated.Replicas}}{{end}} {{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}';
    const [replicas = '', update = ''] = (
      await this.docker(['service', 'inspect', '--format', format, service])
    )
      .trim()
      .split(' ');
    if (update && !update.endsWith('completed')) return `update ${update}`;
    const tasks = lines(
      await this.docker([
        'service',
        'ps',
        '--no-trunc',
        '--format',
        '{{.DesiredState}}|{{.CurrentState}}|{{.Node}}',
        service,
      ]),
    )
      .map((l) => l.split('|'))
      .filter(([, , node = '']) => ready.has(node));
    const running = (t: string[]) => t[1]?.startsWith('Running') ?? false;
    const wanted = tasks.filter(([desired]) => desired === 'Running');
    // Global services have no replica count: one task per eligible node is what the scheduler wants.
    const target = replicas === '' ? wanted.length : Number(replicas);
    const up = wanted.filter(running).length;
    const stopping = tasks.filter((t) => t[0] !== 'Running' && running(t)).length;
    if (up === target && wanted.length === target && stopping === 0) return '';
    return `${up}/${target} running${stopping ? `, ${stopping} still stopping` : ''}`;
  }
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}
