import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Started, Supervisor } from './processes.js';

const run = promisify(execFile);

/** The running origin process and its listeners. */
export interface Origin {
  readonly process: Started;
  /** One port per listener on 127.0.0.1 (the upstreams every proxy balances over). */
  readonly ports: number[];
  /** Moves all of the origin's threads to these CPUs (a `taskset` list such as `0` or `0-1`). */
  pin(cpus: string): Promise<void>;
}

const defaultScript = fileURLToPath(new URL('./origin-server.js', import.meta.url));

/**
 * Starts `origin-server.js` (or another script that prints `{"ports":[...]}` the same way) with
 * `listeners` listeners and waits for its ports. `launch` may wrap the command (the scale rows raise its
 * file descriptor limit).
 */
export async function startOrigin(
  supervisor: Supervisor,
  listeners: number,
  script = defaultScript,
  launch = (command: string, args: string[]): [string, string[]] => [command, args],
): Promise<Origin> {
  const started = supervisor.start(...launch(process.execPath, [script, String(listeners)]));
  const ports = await waitForPorts(started);
  return {
    process: started,
    ports,
    pin: async (cpus) => {
      await run('taskset', ['-a', '-p', '-c', cpus, String(started.pid)]);
    },
  };
}

async function waitForPorts(started: Started): Promise<number[]> {
  for (let waited = 0; waited < 10_000; waited += 50) {
    const line = /^(\{.*\})\n/.exec(started.output())?.[1];
    if (line) return (JSON.parse(line) as { ports: number[] }).ports;
    if (!started.running()) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`origin did not start: ${started.output()}`);
}
