/**
 * Runs the built swarmgate CLI (`node dist/src/cli/main.js ...`) as a child process, the way a user
 * does: one-shot with {@link runCli}, long-running with {@link spawnCli}, and `routes --watch --json`
 * as a stream of parsed tables with {@link watchRoutes}.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { RoutesJson } from '../../../src/cli/table-view.js';
import { repoRoot } from '../../support/paths.js';

/** The compiled CLI entry (`npx tsc -p .` writes it). */
export const CLI_MAIN = resolve(repoRoot, 'dist/src/cli/main.js');

export interface CliOptions {
  /** Kill the CLI (SIGKILL) after this long; default 30 s for {@link runCli}, none for {@link spawnCli}. */
  timeoutMs?: number;
  /** A program (and its arguments) to start `node` under, e.g. `setpriv` to drop privileges. */
  wrapper?: readonly string[];
}

/** How a CLI run ended. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** A stdout line and when it arrived (ms since the epoch). */
export interface TimedLine {
  line: string;
  receivedAt: number;
}

function start(args: readonly string[], opts: CliOptions): ChildProcess {
  const [program = process.execPath, ...prefix] = opts.wrapper ?? [];
  const argv = [...prefix, ...(opts.wrapper ? [process.execPath] : []), CLI_MAIN, ...args];
  // No DOCKER_HOST leaking in from the environment: every test names its endpoint with --docker.
  const env = { ...process.env, DOCKER_HOST: undefined };
  return spawn(program, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
}

/**
 * Runs the CLI to completion and resolves with exit code, output and duration, whatever the exit
 * code. Rejects only when it outlives `timeoutMs`, quoting what it printed so far.
 *
 * @example
 * const { code, stderr } = await runCli(['routes', '--docker', 'unix:///nonexistent.sock']);
 */
export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const started = Date.now();
  const child = start(args, opts);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `swarmgate ${args.join(' ')} did not finish within ${timeoutMs} ms; ` +
            `stdout: ${Buffer.concat(out)}; stderr: ${Buffer.concat(err)}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        durationMs: Date.now() - started,
      });
    });
  });
}

/**
 * A CLI that keeps running (`routes --watch`): its stdout as lines with arrival times, read in order
 * with {@link CliProcess.nextLine}; `stop()` ends it with SIGTERM as a user's Ctrl-C would.
 */
export class CliProcess {
  readonly #child: ChildProcess;
  readonly #lines: TimedLine[] = [];
  readonly #changed = new EventEmitter();
  readonly #exit: Promise<Pick<CliResult, 'code' | 'signal'>>;
  #stderr = '';
  #ended: Pick<CliResult, 'code' | 'signal'> | undefined;

  constructor(args: readonly string[], opts: CliOptions = {}) {
    this.#child = start(args, opts);
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      this.#lines.push({ line, receivedAt: Date.now() });
      this.#changed.emit('change');
    });
    this.#exit = new Promise((resolve) => {
      this.#child.on('close', (code, signal) => {
        this.#ended = { code, signal };
        this.#changed.emit('change');
        resolve(this.#ended);
      });
    });
    if (opts.timeoutMs !== undefined) {
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), opts.timeoutMs);
      void this.#exit.then(() => clearTimeout(timer));
    }
  }

  /** What the CLI wrote to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /**
   * The next stdout line not read yet. Rejects when none arrives within `timeoutMs` (default: no
   * limit) or the CLI ended without printing another one.
   */
  async nextLine(timeoutMs = Number.POSITIVE_INFINITY): Promise<TimedLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.#lines.shift();
      if (line !== undefined) return line;
      if (this.#ended) {
        throw new Error(
          `swarmgate exited (code ${this.#ended.code}, signal ${this.#ended.signal}) without another line; stderr: ${this.#stderr}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no line from swarmgate within ${timeoutMs} ms; stderr: ${this.#stderr}`);
      const signal = Number.isFinite(left) ? AbortSignal.timeout(left) : undefined;
      await once(this.#changed, 'change', signal ? { signal } : {}).catch(() => undefined);
    }
  }

  /** Sends SIGTERM and resolves once the CLI has exited (SIGKILL after `graceMs`). */
  async stop(graceMs = 10_000): Promise<Pick<CliResult, 'code' | 'signal' | 'stderr'>> {
    if (!this.#ended) {
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
      await this.#exit;
      clearTimeout(timer);
    }
    const ended = await this.#exit;
    return { ...ended, stderr: this.#stderr };
  }
}

/**
 * Starts a long-running CLI command.
 *
 * @example
 * const cli = spawnCli(['routes', '--watch', '--docker', `unix://${rig.managerSocket}`]);
 * t.after(() => cli.stop());
 * const { line } = await cli.nextLine(30_000);
 */
export function spawnCli(args: readonly string[], opts: CliOptions = {}): CliProcess {
  return new CliProcess(args, opts);
}

/** One table printed by `routes --watch --json`, with when it arrived. */
export interface WatchedTable {
  table: RoutesJson;
  receivedAt: number;
}

/**
 * `swarmgate routes --watch --json ...args`: every printed line parsed as a routing table. Iterate
 * it, or use `until` to skip tables up to the first one that satisfies a condition.
 */
export class RoutesWatch implements AsyncIterable<WatchedTable> {
  readonly cli: CliProcess;

  constructor(args: readonly string[], opts: CliOptions = {}) {
    this.cli = spawnCli(['routes', '--watch', '--json', ...args], opts);
  }

  /** The next table; rejects after `timeoutMs` (default: no limit) without one, or if the CLI ended. */
  async next(timeoutMs?: number): Promise<WatchedTable> {
    const { line, receivedAt } = await this.cli.nextLine(timeoutMs);
    return { table: JSON.parse(line) as RoutesJson, receivedAt };
  }

  /** Reads tables until one satisfies `accept`, and returns it; the last table read is quoted on timeout. */
  async until(
    accept: (table: RoutesJson) => boolean,
    opts: { timeoutMs: number; what: string },
  ): Promise<WatchedTable> {
    const deadline = Date.now() + opts.timeoutMs;
    let last: RoutesJson | undefined;
    for (;;) {
      let watched: WatchedTable;
      try {
        watched = await this.next(deadline - Date.now());
      } catch (error) {
        throw new Error(
          `waiting for ${opts.what}: ${(error as Error).message}; last table: ${JSON.stringify(last)}`,
        );
      }
      if (accept(watched.table)) return watched;
      last = watched.table;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchedTable> {
    for (;;) yield await this.next();
  }

  stop(): ReturnType<CliProcess['stop']> {
    return this.cli.stop();
  }
}

/**
 * Watches the routing table through the real CLI.
 *
 * @example
 * const watch = watchRoutes(['--docker', `unix://${rig.managerSocket}`]);
 * t.after(() => watch.stop());
 * for await (const { table, receivedAt } of watch) if (table.routes.length > 0) break;
 */
export function watchRoutes(args: readonly string[], opts: CliOptions = {}): RoutesWatch {
  return new RoutesWatch(args, opts);
}
