import type { SwarmSnapshot, TaskHostPort, TaskInfo } from './snapshot.js';

/**
 * How long a task absent from every snapshot stays remembered. A worker declared `down` during a
 * manager restart re-registers within seconds to a few minutes, and its old tasks then come back
 * draining; ten minutes covers that with margin while bounding memory to the tasks of the last ten
 * minutes, since removed tasks never come back to be forgotten otherwise.
 */
export const HOST_PORT_MEMORY_TTL_MS = 10 * 60_000;

interface Remembered {
  containerId: string;
  hostPorts: TaskHostPort[];
  lastSeenMs: number;
}

/**
 * Gives back host-mode ports the engine forgot. After a manager restart (or leader change) the engine
 * lists running tasks without `PortStatus` until they restart; the container, and so its port
 * bindings, did not change. The memory keeps, per task id, the container and host ports last seen
 * with ports, across snapshots in which the task is absent (a worker briefly `down`), and gives them
 * back to the same task on the same container. An entry is forgotten when the task shows up with
 * another container, or after `ttlMs` without the task in any snapshot. No I/O, no timers.
 *
 * @example
 * const memory = new HostPortMemory();
 * snapshot = memory.restore(snapshotFromEngine(lists), Date.now());
 */
export class HostPortMemory {
  readonly #ttlMs: number;
  readonly #byTask = new Map<string, Remembered>();

  constructor(ttlMs = HOST_PORT_MEMORY_TTL_MS) {
    this.#ttlMs = ttlMs;
  }

  /** Number of tasks remembered, for diagnostics. */
  get size(): number {
    return this.#byTask.size;
  }

  /**
   * Learns the ports `snapshot` reports and fills in those it lost; returns `snapshot` itself when
   * nothing was restored. `nowMs` is the time the snapshot was taken.
   */
  restore(snapshot: SwarmSnapshot, nowMs: number): SwarmSnapshot {
    let restored = false;
    const tasks = snapshot.tasks.map((task): TaskInfo => {
      const known = this.#byTask.get(task.id);
      if (task.containerId === undefined) {
        if (known !== undefined) known.lastSeenMs = nowMs;
        return task;
      }
      if (task.hostPorts.length > 0) {
        this.#byTask.set(task.id, {
          containerId: task.containerId,
          hostPorts: task.hostPorts,
          lastSeenMs: nowMs,
        });
        return task;
      }
      if (known === undefined) return task;
      if (known.containerId !== task.containerId) {
        this.#byTask.delete(task.id);
        return task;
      }
      known.lastSeenMs = nowMs;
      restored = true;
      return { ...task, hostPorts: known.hostPorts };
    });
    for (const [id, known] of this.#byTask) {
      if (nowMs - known.lastSeenMs > this.#ttlMs) this.#byTask.delete(id);
    }
    return restored ? { ...snapshot, tasks } : snapshot;
  }
}
