import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { resolveDockerEndpoint } from '../../src/discovery/docker-endpoint.js';
import { EngineClient } from '../../src/discovery/engine-client.js';
import type { SwarmSnapshot, TaskInfo } from '../../src/discovery/snapshot.js';
import { type SnapshotMeta, SwarmWatcher, type WatcherStatus } from '../../src/discovery/swarm-watcher.js';
import { translate } from '../../src/routing/translate.js';
import { RIG_IMAGES, Rig, WHOAMI_ENV } from '../rig/index.js';

// The watcher runs with its default intervals: what is measured here is what users get.
test('discovery follows a real swarm: deploy, scale, rolling update, manager dockerd restart', {
  timeout: 10 * 60_000,
}, async (t) => {
  const rig = await Rig.up();
  const stack = `disc${process.pid}`;
  const serviceName = `${stack}_web`;
  const client = new EngineClient(resolveDockerEndpoint({ url: `unix://${rig.managerSocket}`, env: {} }));
  const watcher = new SwarmWatcher(client);
  /** When each task was first seen running in an emitted snapshot. */
  const firstSeenRunning = new Map<string, number>();
  const emitted: SnapshotMeta[] = [];
  const statuses: WatcherStatus[] = [];
  watcher.on('snapshot', (snapshot, meta) => {
    emitted.push(meta);
    for (const task of snapshot.tasks) {
      if (task.state === 'running' && !firstSeenRunning.has(task.id))
        firstSeenRunning.set(task.id, Date.now());
    }
  });
  watcher.on('status', (status) => statuses.push(status));
  t.after(async () => {
    await watcher.close();
    await client.close();
    await rig.removeStack(stack);
  });
  await watcher.start();

  const mine = (snapshot = watcher.snapshot) => {
    const service = snapshot?.services.find((s) => s.name === serviceName);
    const tasks = snapshot?.tasks.filter((task) => task.serviceId === service?.id) ?? [];
    return {
      service,
      tasks,
      running: tasks.filter((task) => task.desiredState === 'running' && task.state === 'running'),
    };
  };
  const until = <T>(
    what: string,
    probe: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs = 90_000,
  ) => rig.waitFor(async () => probe(), { timeoutMs, intervalMs: 20, what });

  await rig.deployStack(
    stack,
    JSON.stringify({
      version: '3.8',
      services: {
        web: {
          image: RIG_IMAGES.whoami,
          environment: WHOAMI_ENV,
          networks: ['net'],
          ports: [{ target: 80, mode: 'host' }],
          // whoami ignores SIGWINCH, so a replaced task keeps running (draining) until the grace period ends.
          stop_signal: 'SIGWINCH',
          stop_grace_period: '3s',
          deploy: {
            replicas: 2,
            endpoint_mode: 'dnsrr',
            labels: { 'swarmgate.enable': 'true', 'swarmgate.hosts': 'disc.example.com' },
            // Off the manager, so that restarting its dockerd leaves these tasks alone.
            placement: { constraints: ['node.role == worker'] },
            update_config: { parallelism: 2, delay: '0s', order: 'stop-first' },
          },
        },
      },
      networks: { net: { driver: 'overlay' } },
    }),
  );

  await t.test(
    'a deployed stack appears with its labels, network, task addresses and host ports',
    async () => {
      await until('2 running tasks in the snapshot', () => mine().running.length === 2);
      const { service, running } = mine();
      const network = watcher.snapshot?.networks.find((n) => n.name === `${stack}_net`);
      assert.ok(service && network);
      assert.equal(service.endpointMode, 'dnsrr');
      assert.equal(service.stack, stack);
      assert.equal(service.labels['swarmgate.hosts'], 'disc.example.com');
      assert.deepEqual(service.networks, [network.id]);
      assert.deepEqual(service.ports, [{ protocol: 'tcp', targetPort: 80, publishMode: 'host' }]);
      const workers = new Set(watcher.snapshot?.nodes.filter((n) => n.role === 'worker').map((n) => n.id));
      for (const task of running) {
        assert.ok(workers.has(task.nodeId));
        const attachment = task.networks.find((n) => n.networkId === network.id);
        assert.match(attachment?.addresses[0] ?? '', /^\d+\.\d+\.\d+\.\d+$/);
        assert.equal(task.hostPorts.length, 1);
        assert.ok((task.hostPorts[0]?.publishedPort ?? 0) > 0);
      }
    },
  );

  await t.test('scale 2 → 4: the new tasks are in the snapshot within 2 s of running', async () => {
    const before = new Set(mine().running.map((task) => task.id));
    await rig.docker(['service', 'scale', '--detach', `${serviceName}=4`]);
    await until('4 running tasks in the snapshot', () => mine().running.length === 4);
    const added = mine().running.filter((task) => !before.has(task.id));
    assert.equal(added.length, 2);
    const startedAt = await runningSince(
      rig,
      added.map((task) => task.id),
    );
    for (const task of added) {
      const delay = (firstSeenRunning.get(task.id) ?? Number.NaN) - (startedAt.get(task.id) ?? Number.NaN);
      t.diagnostic(`task ${task.id} in the snapshot ${delay.toFixed(0)} ms after it was running`);
      assert.ok(delay < 2000, `task ${task.id}: ${delay} ms`);
    }
  });

  for (const [round, order] of (['stop-first', 'start-first'] as const).entries()) {
    await t.test(
      `rolling update, ${order}: old tasks drain (desired shutdown, still running; draining upstreams), then disappear`,
      async () => {
        const old = new Set(mine().running.map((task) => task.id));
        let sawUpdating = false;
        const onSnapshot = (snapshot: SwarmSnapshot) => {
          if (mine(snapshot).service?.updateState === 'updating') sawUpdating = true;
        };
        watcher.on('snapshot', onSnapshot);
        t.after(() => watcher.off('snapshot', onSnapshot));
        await rig.docker([
          'service',
          'update',
          '--detach',
          '--update-order',
          order,
          '--env-add',
          `ROLLOUT=${round + 2}`,
          serviceName,
        ]);

        const isDraining = (task: TaskInfo) =>
          old.has(task.id) && task.desiredState === 'shutdown' && task.state === 'running';
        const draining = await until('an old task draining', () => mine().tasks.find(isDraining));
        t.diagnostic(`task ${draining.id} seen draining`);
        const table = translate(watcher.snapshot!, { role: 'run', networks: [] });
        const upstream = table.backends.flatMap((b) => b.upstreams).find((u) => u.task === draining.id);
        assert.equal(upstream?.state, 'draining', 'the routing table marks the old task draining');
        await until(
          'the update to complete with only new tasks left',
          () =>
            mine().service?.updateState === 'completed' &&
            mine().running.length === 4 &&
            mine().tasks.every((task) => !old.has(task.id)),
          120_000,
        );
        assert.ok(sawUpdating, 'the update showed as updating');
      },
    );
  }

  await t.test(
    'manager dockerd restart: stale while it is away, reconnects by itself, same snapshot',
    async () => {
      await rig.waitConverged(serviceName);
      // What this test owns: its service, its tasks and the nodes. Other stacks on a shared rig may change.
      // The restarted manager hears every task's status again, so `updatedAt` moves; the rest stays.
      const view = (snapshot = watcher.snapshot) => {
        const { service, tasks } = mine(snapshot);
        return { service, tasks: tasks.map(({ updatedAt, ...task }) => task), nodes: snapshot?.nodes };
      };
      // Wait for a quiet snapshot: two re-lists with nothing new.
      const settled = await until('a settled snapshot', async () => {
        const seen = emitted.length;
        await sleep(4500);
        return emitted.length === seen && view();
      });
      const statusesBefore = statuses.length;

      const restarting = rig.restartDockerd(1);
      let stale: WatcherStatus;
      try {
        stale = await until(
          'the watcher to mark the snapshot stale',
          () => watcher.status.stale && watcher.status,
        );
        // While it shuts down, dockerd first answers "not a swarm manager", then not at all.
        assert.match(stale.lastError?.code ?? '', /^SG_ERR_DOCKER_(UNREACHABLE|NOT_SWARM)$/);
        assert.deepEqual(view(), settled, 'the last good snapshot is kept while Docker is away');
      } finally {
        await restarting;
      }
      const answeredAt = Date.now();

      await until(
        'connected and fresh again',
        () => watcher.status.connected && !watcher.status.stale,
        60_000,
      );
      await until(
        'the same snapshot as before the restart',
        () => isDeepStrictEqual(view(), settled),
        60_000,
      );
      const sameAt = Date.now();
      const lost = (
        await rig.docker(['service', 'ps', '-q', '--filter', 'desired-state=running', serviceName])
      )
        .split('\n')
        .filter(Boolean);
      const portless = JSON.parse(await rig.docker(['inspect', '--type', 'task', ...lost])).filter(
        (task: { Status: { PortStatus?: { Ports?: unknown[] } } }) => !task.Status.PortStatus?.Ports,
      ).length;
      t.diagnostic(
        `the engine lists ${portless} of ${lost.length} tasks without PortStatus after the restart`,
      );
      t.diagnostic(
        `stale for ${answeredAt - (stale.staleSinceMs ?? answeredAt)} ms until dockerd answered; ` +
          `the same snapshot again ${sameAt - answeredAt} ms later`,
      );
      const during = statuses.slice(statusesBefore);
      assert.ok(during.some((s) => !s.connected && s.stale));
      t.diagnostic(
        `status changes: ${during.map((s) => `${s.connected ? 'connected' : 'disconnected'}/${s.stale ? 'stale' : 'fresh'}`).join(', ')}`,
      );
    },
  );
});

/** When each task's current state (running) began, from the engine (`Status.Timestamp`). */
async function runningSince(rig: Rig, ids: string[]): Promise<Map<string, number>> {
  const tasks = JSON.parse(await rig.docker(['inspect', '--type', 'task', ...ids])) as {
    ID: string;
    Status: { State: string; Timestamp: string };
  }[];
  return new Map(
    tasks.map((task) => {
      assert.equal(task.Status.State, 'running');
      return [task.ID, Date.parse(task.Status.Timestamp)];
    }),
  );
}
