import { execFileSync } from 'node:child_process';

const wanted = 65_536;
/** The hard limit on open files here: raising it needs CAP_SYS_RESOURCE, which a container may lack. */
const hard = execFileSync('sh', ['-c', 'ulimit -H -n']).toString().trim();

/**
 * Open files allowed to each process the scale rows start: 65,536, or the hard limit when lower. A
 * proxied connection takes two (client and upstream).
 */
export const scaleFdLimit = hard === 'unlimited' ? wanted : Math.min(wanted, Number(hard) || 1024);

/** Descriptors kept free for listeners, logs, pipes and the like in each gateway process. */
const spareFds = 1_000;

/**
 * Worker processes a gateway needs to hold `sockets` sockets at once under `scaleFdLimit`: one where
 * the limit allows (65,536), two for 10,000 proxied WebSockets where the hard limit is 20,000.
 */
export function workersFor(sockets: number): number {
  return Math.max(1, Math.ceil(sockets / (scaleFdLimit - spareFds)));
}

/**
 * Arguments for `sh` that run `command` (same PID, after `exec`) with the open-file limit raised to
 * `scaleFdLimit`: `sh -c 'ulimit -n …; exec "$@"' sh command args…`.
 */
export function fdLimitArgs(command: string, args: string[]): string[] {
  return ['-c', `ulimit -n ${scaleFdLimit} && exec "$@"`, 'sh', command, ...args];
}

/** `[command, args]` for `supervisor.start`: `command` under the raised limit. */
export function withFdLimit(command: string, args: string[]): [string, string[]] {
  return ['sh', fdLimitArgs(command, args)];
}
