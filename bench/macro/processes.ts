import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { processTree } from './cpu.js';

const outputTailBytes = 16 * 1024;
const stopGraceMs = 3000;

/** A child process the bench started. */
export interface Started {
  readonly pid: number;
  /** The last few KB of its stdout and stderr, for error messages. */
  output(): string;
  /** Resolves with a description of how it ended (`code 0`, `signal SIGTERM`). */
  readonly exited: Promise<string>;
  /** Whether it is still running. */
  running(): boolean;
}

/**
 * Starts the bench's child processes and stops every one of them, with their descendants, by PID: on
 * request, at the end of the run, and on Ctrl-C or a crash (see `installExitHandlers`).
 *
 * @example
 * const supervisor = new Supervisor();
 * const nginx = supervisor.start('nginx', ['-c', conf]);
 * await supervisor.stop(nginx);
 */
export class Supervisor {
  #children = new Map<number, Started>();
  #scratchDirs = new Set<string>();

  /** Removes `dir` when the bench exits, however it exits (the normal path removes it itself). */
  removeOnExit(dir: string): void {
    this.#scratchDirs.add(dir);
  }

  /** Spawns `command` with stdin closed and its output kept in a small ring buffer. */
  start(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Started {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) {
      child.once('error', () => {}); // reported by the throw below
      throw new Error(`cannot start ${command}`);
    }
    const pid = child.pid;
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-outputTailBytes);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let alive = true;
    const exited = new Promise<string>((resolve) => {
      child.once('error', (error) => {
        alive = false;
        this.#children.delete(pid);
        resolve(`error ${error.message}`);
      });
      child.once('exit', (code, signal) => {
        alive = false;
        this.#children.delete(pid);
        resolve(signal ? `signal ${signal}` : `code ${code}`);
      });
    });
    const started: Started = { pid, output: () => tail, exited, running: () => alive };
    this.#children.set(pid, started);
    return started;
  }

  /** SIGTERM to the process, then SIGKILL to whatever of its tree is left after a grace period. */
  async stop(started: Started): Promise<void> {
    if (!started.running()) return;
    const tree = processTree(started.pid);
    signal(started.pid, 'SIGTERM');
    const timer = new Promise((resolve) => setTimeout(resolve, stopGraceMs).unref());
    await Promise.race([started.exited, timer]);
    for (const pid of tree) signal(pid, 'SIGKILL');
    await started.exited;
  }

  /** Stops every process still running. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#children.values()].map((started) => this.stop(started)));
  }

  /** Synchronous last resort for `process.on('exit')`: SIGKILL every tracked process tree, remove scratch dirs. */
  killAllNow(): void {
    for (const pid of this.#children.keys()) for (const p of processTree(pid)) signal(p, 'SIGKILL');
    for (const dir of this.#scratchDirs) rmSync(dir, { recursive: true, force: true });
  }

  /** Stops all children on Ctrl-C, SIGTERM and uncaught errors, then exits. */
  installExitHandlers(): void {
    const bail = (code: number) => {
      this.stopAll().finally(() => process.exit(code));
    };
    process.once('SIGINT', () => bail(130));
    process.once('SIGTERM', () => bail(143));
    process.once('uncaughtException', (error) => {
      console.error(error);
      bail(1);
    });
    process.once('exit', () => this.killAllNow());
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
