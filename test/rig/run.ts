import { spawn } from 'node:child_process';

/** Options for {@link run}. */
export interface RunOptions {
  /** Written to the program's stdin, which is then closed. */
  input?: string;
  /** SIGKILL the program after this long. */
  timeoutMs?: number;
}

/**
 * Runs a program to completion. Resolves with its stdout; rejects with an error that names the command
 * and quotes its stderr (or stdout when stderr is empty).
 *
 * @example
 * const version = await run('/usr/bin/docker', ['version', '--format', '{{.Client.Version}}']);
 */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, opts.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString();
      if (code === 0) return resolve(stdout);
      const why = timedOut ? `timed out after ${opts.timeoutMs} ms` : `failed (exit ${code})`;
      const detail = Buffer.concat(err).toString().trim() || stdout.trim();
      reject(new Error(`${[file, ...args].join(' ')} ${why}: ${detail}`));
    });
    // A program that exits without reading its stdin must not fail the call with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input);
  });
}
