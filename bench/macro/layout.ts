import { availableParallelism } from 'node:os';

/**
 * How the machine's cores are shared between the proxy under test and the load (wrk and the origin).
 * `taskset` CPU lists; `undefined` means no pinning.
 */
export interface CoreLayout {
  id: '1core' | '2core';
  label: string;
  /** nginx `worker_processes`, HAProxy `nbthread`, Caddy `GOMAXPROCS`, swarmgate `--workers`. */
  workers: number;
  proxyCpus: string | undefined;
  loadCpus: string | undefined;
  wrkThreads: number;
}

/** Every CPU of the machine, as a `taskset` list (`0-1` on the 2-core bench machine). */
export const allCpus = `0-${availableParallelism() - 1}`;

/** The proxy gets CPU 1 alone; wrk and the origin share CPU 0. */
export const oneCore: CoreLayout = {
  id: '1core',
  label: '1 core (proxy on CPU 1; wrk + origin on CPU 0)',
  workers: 1,
  proxyCpus: '1',
  loadCpus: '0',
  wrkThreads: 1,
};

/** Nothing pinned: the proxy's two workers, wrk and the origin share both CPUs. */
export const twoCores: CoreLayout = {
  id: '2core',
  label: '2 cores (nothing pinned; proxy, wrk and origin share both CPUs)',
  workers: 2,
  proxyCpus: undefined,
  loadCpus: undefined,
  wrkThreads: 2,
};

/** `taskset` prefix for a command, or the command alone when `cpus` is undefined. */
export function pinned(cpus: string | undefined, command: string, args: string[]): [string, string[]] {
  return cpus === undefined ? [command, args] : ['taskset', ['-c', cpus, command, ...args]];
}
