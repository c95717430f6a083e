import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { snapshotFromEngine } from '../../../src/discovery/engine-snapshot.js';
import { restoreLostHostPorts } from '../../../src/discovery/host-port-memory.js';
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

test('host ports the engine stopped reporting for the same container are restored', () => {
  const before = steady();
  const forgot = withTasks(before, (task) => ({ ...task, hostPorts: [] }));
  assert.deepEqual(restoreLostHostPorts(forgot, before), before);
});

test('a new container, reported ports, or no earlier snapshot: nothing is restored', () => {
  const before = steady();
  const forgot = withTasks(before, (task) => ({ ...task, hostPorts: [] }));
  assert.equal(restoreLostHostPorts(forgot, undefined), forgot);
  const restarted = withTasks(forgot, (task) => ({ ...task, containerId: `new-${task.containerId}` }));
  assert.equal(restoreLostHostPorts(restarted, before), restarted);
  const moved = withTasks(before, (task) =>
    task.hostPorts.length > 0
      ? { ...task, hostPorts: [{ protocol: 'tcp', targetPort: 80, publishedPort: 1 }] }
      : task,
  );
  assert.equal(restoreLostHostPorts(moved, before), moved);
});
