import type { SwarmSnapshot, TaskInfo } from './snapshot.js';

/**
 * Gives back host-mode ports the engine forgot. After a manager restart (or leader change) the engine
 * lists running tasks without `PortStatus` until they restart; the container, and so its port
 * bindings, did not change. A task of `next` without host ports takes those of the same task in
 * `previous` when both name the same container. Pure; returns `next` itself when nothing was lost.
 *
 * @example
 * snapshot = restoreLostHostPorts(snapshotFromEngine(lists), lastSnapshot);
 */
export function restoreLostHostPorts(
  next: SwarmSnapshot,
  previous: SwarmSnapshot | undefined,
): SwarmSnapshot {
  if (previous === undefined) return next;
  const known = new Map(previous.tasks.filter((t) => t.hostPorts.length > 0).map((t) => [t.id, t]));
  let restored = false;
  const tasks = next.tasks.map((task): TaskInfo => {
    if (task.hostPorts.length > 0 || task.containerId === undefined) return task;
    const before = known.get(task.id);
    if (before?.containerId !== task.containerId) return task;
    restored = true;
    return { ...task, hostPorts: before.hostPorts };
  });
  return restored ? { ...next, tasks } : next;
}
