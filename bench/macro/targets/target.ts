import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { waitUntilServing } from '../http-probe.js';
import type { CoreLayout } from '../layout.js';
import { pinned } from '../layout.js';
import type { Origin } from '../origin.js';
import { freePort } from '../ports.js';
import type { Started, Supervisor } from '../processes.js';

/** What a target needs to start: the shared origin, the core layout and a private temp dir. */
export interface TargetContext {
  supervisor: Supervisor;
  origin: Origin;
  layout: CoreLayout;
  /** A fresh directory for this target's generated config and runtime files. */
  dir: string;
  repoRoot: string;
}

/** A started target: where to send load and whose process tree's CPU to count. */
export interface RunningTarget {
  port: number;
  process: Started;
  /** Called just before / after each measured run (the direct baseline moves the origin onto the proxy's CPU). */
  beforeRun?(): Promise<void>;
  afterRun?(): Promise<void>;
  stop(): Promise<void>;
}

/** One thing wrk is pointed at: a proxy in front of the origin, or the origin itself. */
export interface Target {
  name: string;
  /** Whether its config sets a sticky-session cookie. */
  sticky: boolean;
  /** A baseline that answers by itself instead of proxying: nothing to balance over. */
  answersItself?: boolean;
  /** One line on how it is configured, for the report. */
  config: string;
  /** Why it cannot run on this machine, or `undefined` when it can. */
  unavailable(repoRoot: string): string | undefined;
  start(context: TargetContext): Promise<RunningTarget>;
}

/** Absolute path of `name` on PATH (plus the sbin dirs), or `undefined`. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this dir
    }
  }
  return undefined;
}

/**
 * Starts a proxy on a free port, pinned to the layout's proxy CPUs, and waits until it answers 200.
 * `argsFor` gets the chosen port (so the generated config can name it).
 */
export async function launchProxy(
  context: TargetContext,
  command: string,
  argsFor: (port: number) => Promise<string[]> | string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningTarget> {
  const port = await freePort();
  const started = context.supervisor.start(
    ...pinned(context.layout.proxyCpus, command, await argsFor(port)),
    env,
  );
  try {
    await waitUntilServing(started, port);
  } catch (error) {
    await context.supervisor.stop(started);
    throw error;
  }
  return { port, process: started, stop: () => context.supervisor.stop(started) };
}

/** `host:port` of each origin listener. */
export function originAddresses(origin: Origin): string[] {
  return origin.ports.map((port) => `127.0.0.1:${port}`);
}
