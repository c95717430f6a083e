/**
 * Waits for swarm to replace every task of a service, e.g. after `docker service update --force`:
 * `Rig.waitConverged` alone can return before the update began (the update status is set
 * asynchronously), so the task ids are compared as well.
 *
 * @example
 * const before = await taskIds(rig, 'demo_web');
 * await rig.docker(['service', 'update', '--detach', '--force', 'demo_web']);
 * await waitReplaced(rig, 'demo_web', before, 3);
 */
import type { Rig } from '../../rig/index.js';

/** Ids of the tasks of `service` that should be running. */
export async function taskIds(rig: Rig, service: string): Promise<Set<string>> {
  return new Set((await rig.tasks(service)).map((task) => task.id));
}

/**
 * Resolves once `replicas` tasks of `service` run, none of them in `before`, and the service has
 * converged (no update in progress, nothing left stopping).
 */
export async function waitReplaced(
  rig: Rig,
  service: string,
  before: ReadonlySet<string>,
  replicas: number,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  await rig.waitFor(
    async () => {
      const tasks = await rig.tasks(service);
      last = tasks.map((task) => `${task.name.split('.').slice(1).join('.')} ${task.state}`).join(', ');
      return (
        tasks.length === replicas && tasks.every((task) => task.state === 'running' && !before.has(task.id))
      );
    },
    { timeoutMs, what: () => `every task of ${service} to be replaced (now: ${last})` },
  );
  await rig.waitConverged(service, { timeoutMs: Math.max(1_000, deadline - Date.now()) });
}
