import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { snapshotFromEngine } from '../../../src/discovery/engine-snapshot.js';
import { HOST_PORT_MEMORY_TTL_MS, HostPortMemory } from '../../../src/discovery/host-port-memory.js';
import type { SwarmSnapshot, TaskInfo } from '../../../src/discovery/snapshot.js';
import { fixturePath } from '../../support/paths.js';

function steady(): SwarmSnapshot {
  const read = (list: string): unknown[] =>
    JSON.parse(readFileSync(fixturePath('engine', 'steady', `${list}.json`), 'utf8'));
  return snapshotFromEngine({
    services: read('services'),
    tasks: read('tasks'),
    nodes: read('nodes'),
    networks: read('networks'),
  });
}

const withTasks = (snapshot: SwarmSnapshot, change: (task: TaskInfo) => TaskInfo): SwarmSnapshot => ({
  ...snapshot,
  tasks: snapshot.tasks.map(change),
});

const forgetPorts = (snapshot: SwarmSnapshot): SwarmSnapshot =>
  withTasks(snapshot, (task) => ({ ...task, hostPorts: [] }));

/** The snapshot without the tasks of one node, as while swarm holds that node `down`. */
function withoutNode(snapshot: SwarmSnapshot, nodeId: string): SwarmSnapshot {
  return { ...snapshot, tasks: snapshot.tasks.filter((task) => task.nodeId !== nodeId) };
}

/** A node that runs tasks with host ports in the steady fixture. */
function portedNode(snapshot: SwarmSnapshot): string {
  const task = snapshot.tasks.find((t) => t.hostPorts.length > 0);
  assert.ok(task, 'the steady fixture has tasks with host ports');
  return task.nodeId;
}

const twoSeconds = 2000;

test('host ports the engine stopped reporting for the same container are restored', () => {
  const before = steady();
  const memory = new HostPortMemory();
  assert.equal(memory.restore(before, 0), before);
  assert.deepEqual(memory.restore(forgetPorts(before), twoSeconds), before);
});

test('ports survive snapshots in which the task is absent, and come back with the draining task', () => {
  const before = steady();
  const node = portedNode(before);
  const memory = new HostPortMemory();
  memory.restore(before, 0);
  const absent = withoutNode(before, node);
  for (let i = 1; i <= 5; i++) assert.equal(memory.restore(absent, i * twoSeconds), absent);
  const draining = withTasks(forgetPorts(before), (task) =>
    task.nodeId === node ? { ...task, desiredState: 'shutdown' } : task,
  );
  const expected = withTasks(before, (task) =>
    task.nodeId === node ? { ...task, desiredState: 'shutdown' } : task,
  );
  assert.deepEqual(memory.restore(draining, 6 * twoSeconds), expected);
});

test('a new container does not inherit the ports, and the old entry is forgotten', () => {
  const before = steady();
  const memory = new HostPortMemory();
  memory.restore(before, 0);
  const remembered = memory.size;
  assert.ok(remembered > 0);
  const restarted = withTasks(forgetPorts(before), (task) => ({
    ...task,
    containerId: `new-${task.containerId}`,
  }));
  assert.equal(memory.restore(restarted, twoSeconds), restarted);
  assert.equal(memory.size, 0);
  const forgot = forgetPorts(before);
  assert.equal(memory.restore(forgot, 2 * twoSeconds), forgot);
});

test('entries of tasks absent for longer than the bound expire', () => {
  const before = steady();
  const node = portedNode(before);
  const memory = new HostPortMemory();
  memory.restore(before, 0);
  const absent = withoutNode(before, node);
  const stillPresent =
    memory.size - before.tasks.filter((t) => t.nodeId === node && t.hostPorts.length > 0).length;
  memory.restore(absent, HOST_PORT_MEMORY_TTL_MS);
  assert.ok(memory.size > stillPresent, 'kept up to the bound');
  memory.restore(absent, HOST_PORT_MEMORY_TTL_MS + 1);
  assert.equal(memory.size, stillPresent);
  const back = forgetPorts(before);
  const restored = memory.restore(back, HOST_PORT_MEMORY_TTL_MS + twoSeconds);
  for (const task of restored.tasks) {
    if (task.nodeId === node) assert.deepEqual(task.hostPorts, [], `${task.id} expired`);
  }
});

test('reported ports, tasks without a container, or nothing to learn: the snapshot is returned as is', () => {
  const before = steady();
  const memory = new HostPortMemory();
  const forgot = forgetPorts(before);
  assert.equal(memory.restore(forgot, 0), forgot, 'nothing remembered yet');
  memory.restore(before, twoSeconds);
  const moved = withTasks(before, (task) =>
    task.hostPorts.length > 0
      ? { ...task, hostPorts: [{ protocol: 'tcp', targetPort: 80, publishedPort: 1 }] }
      : task,
  );
  assert.equal(memory.restore(moved, 2 * twoSeconds), moved);
  const pending = withTasks(forgot, ({ containerId: _, ...task }) => task);
  assert.equal(memory.restore(pending, 3 * twoSeconds), pending);
  assert.deepEqual(
    memory.restore(forgot, 4 * twoSeconds),
    moved,
    'the latest reported ports are the ones kept',
  );
});
