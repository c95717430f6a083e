/** Open files allowed to each process the scale rows start: 10,000 proxied sockets take two each. */
export const scaleFdLimit = 65_536;

/**
 * Arguments for `sh` that run `command` (same PID, after `exec`) with a higher file descriptor limit
 * than the bench's own: `sh -c 'ulimit -n …; exec "$@"' sh command args…`. Raising the hard limit needs
 * root, as on the bench machine; elsewhere `ulimit` fails and so does the start, with the shell's message.
 */
export function fdLimitArgs(command: string, args: string[]): string[] {
  return ['-c', `ulimit -n ${scaleFdLimit} && exec "$@"`, 'sh', command, ...args];
}

/** `[command, args]` for `supervisor.start`: `command` under the raised limit. */
export function withFdLimit(command: string, args: string[]): [string, string[]] {
  return ['sh', fdLimitArgs(command, args)];
}
