import { fileURLToPath } from 'node:url';
import { oneCore, pinned } from '../macro/layout.js';
import type { Started, Supervisor } from '../macro/processes.js';
import { withFdLimit } from './fd-limit.js';
import type { ClientJob } from './scale-client.js';

const script = fileURLToPath(new URL('./scale-client.js', import.meta.url));

/** Starts the scale client for `job` on the load's CPU (the gateway has the other), with the raised fd limit. */
export function startClient(supervisor: Supervisor, job: ClientJob): Started {
  return supervisor.start(
    ...pinned(oneCore.loadCpus, ...withFdLimit(process.execPath, [script, JSON.stringify(job)])),
  );
}

/** A phase report line of the client's, or undefined for anything else it printed (a warning). */
function phaseLine(line: string): ({ phase: string } & Record<string, number>) | undefined {
  if (!line.startsWith('{"phase":')) return undefined;
  try {
    return JSON.parse(line) as { phase: string } & Record<string, number>;
  } catch {
    return undefined;
  }
}

/**
 * Waits until the client has reported `phase` on stdout and returns that line's data. Fails when the
 * client exits without it or `timeoutMs` passes.
 */
export async function waitForPhase(
  client: Started,
  phase: string,
  timeoutMs: number,
): Promise<Record<string, number>> {
  const deadline = performance.now() + timeoutMs;
  // A child's exit can be reported before the last of its output is read: one more look after it.
  let exitSeen = false;
  for (;;) {
    // Only whole lines: the last piece may still be being written.
    for (const line of client.output().split('\n').slice(0, -1)) {
      const data = phaseLine(line);
      if (data?.phase === phase) return data;
    }
    if (exitSeen)
      throw new Error(`client ${await client.exited} before "${phase}": ${client.output().trim()}`);
    exitSeen = !client.running();
    if (performance.now() >= deadline)
      throw new Error(`client gave no "${phase}" in ${timeoutMs} ms: ${client.output().trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
