import { readFile } from 'node:fs/promises';
import type { SwarmSnapshot, TaskInfo } from './snapshot.js';

const CONTAINER_DIR = /\/containers\/([0-9a-f]{64})\//;
const CGROUP_ID = /[/-]([0-9a-f]{64})(?:\.scope)?$/m;

/**
 * The id of the container this process runs in, or undefined outside a container. Docker bind-mounts
 * `/etc/hostname` and `/etc/resolv.conf` from `<data-root>/containers/<id>/`, which shows in mountinfo
 * under cgroup v1 and v2 alike; the cgroup path is the fallback.
 */
export async function detectSelfContainerId(procRoot = '/proc'): Promise<string | undefined> {
  const mountinfo = await readFile(`${procRoot}/self/mountinfo`, 'utf8').catch(() => '');
  const fromMounts = CONTAINER_DIR.exec(mountinfo)?.[1];
  if (fromMounts) return fromMounts;
  const cgroup = await readFile(`${procRoot}/self/cgroup`, 'utf8').catch(() => '');
  return CGROUP_ID.exec(cgroup)?.[1];
}

/** The task that runs the given container, if the snapshot has it. */
export function findTaskByContainer(snapshot: SwarmSnapshot, containerId: string): TaskInfo | undefined {
  return snapshot.tasks.find((t) => t.containerId === containerId);
}

/**
 * The overlay networks a task is attached to, without the ingress network (never a task-mode path).
 *
 * @example
 * const me = findTaskByContainer(snapshot, await detectSelfContainerId());
 * const networks = me ? taskNetworks(snapshot, me) : [];
 */
export function taskNetworks(snapshot: SwarmSnapshot, task: TaskInfo): string[] {
  const ingress = new Set(snapshot.networks.filter((n) => n.ingress).map((n) => n.id));
  return task.networks.map((n) => n.networkId).filter((id) => !ingress.has(id));
}
