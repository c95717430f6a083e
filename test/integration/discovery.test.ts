import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { resolveDockerEndpoint } from '../../src/discovery/docker-endpoint.js';
import { EngineClient } from '../../src/discovery/engine-client.js';
import { compare } from '../../src/discovery/engine-payloads.js';
import type {
  NodeInfo,
  ServiceInfo,
  SwarmSnapshot,
  TaskHostPort,
  TaskInfo,
} from '../../src/discovery/snapshot.js';
import { type SnapshotMeta, SwarmWatcher, type WatcherStatus } from '../../src/discovery/swarm-watcher.js';
import { translate } from '../../src/routing/translate.js';
import { RIG_IMAGES, Rig, type RigTask, WHOAMI_ENV } from '../rig/index.js';

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
    what: string | (() => string),
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
        await rig.rollingUpdate(serviceName, order, ['--env-add', `ROLLOUT=${round + 2}`]);

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
      const view = (snapshot = watcher.snapshot): View => {
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
      // A restarted leader marks every node unknown and gives it a few heartbeats (3.4-3.9 s on the rig) to
      // register again. A worker whose reconnect backoff grew while the manager was away (up to 6.3 s) can
      // miss that window: swarm then declares it down and replaces its tasks (new ids, containers and host
      // ports), so the swarm itself is not the same any more (7 of 28 restarts on the rig). Once every node
      // is ready and the service has converged, swarm's choice is final: the tasks it kept must come back
      // exactly as before, host ports included, and its replacements as the engine lists them.
      await rig.waitFor(
        async () => {
          const states = await Promise.all(rig.nodes.map((node) => rig.nodeStatus(node.index)));
          return states.every((state) => state === 'ready');
        },
        { timeoutMs: 60_000, what: 'every node ready again' },
      );
      await rig.waitConverged(serviceName);
      const engineTasks = await rig.tasks(serviceName);
      const expected = afterRestart(settled, engineTasks);
      const replaced = settled.tasks.filter((task) => !expected.tasks.includes(task));
      if (replaced.length > 0) {
        const hostname = (id: string) => settled.nodes?.find((node) => node.id === id)?.hostname;
        t.diagnostic(
          `swarm replaced ${replaced.length} tasks during the restart (on ${[...new Set(replaced.map((task) => hostname(task.nodeId)))].join(', ')}, declared down)`,
        );
      }
      await until(
        () =>
          `the same snapshot as before the restart, bar tasks swarm replaced; differs: ${differences(expected, view()).join('; ')}`,
        () => isDeepStrictEqual(view(), expected),
        60_000,
      );
      const sameAt = Date.now();
      const portless = engineTasks.filter((task) => task.ports.length === 0).length;
      t.diagnostic(
        `the engine lists ${portless} of ${engineTasks.length} tasks without PortStatus after the restart`,
      );
      t.diagnostic(
        `stale for ${answeredAt - (stale.staleSinceMs ?? answeredAt)} ms until dockerd answered; ` +
          `the expected snapshot ${sameAt - answeredAt} ms later`,
      );
      const during = statuses.slice(statusesBefore);
      assert.ok(during.some((s) => !s.connected && s.stale));
      t.diagnostic(
        `status changes: ${during.map((s) => `${s.connected ? 'connected' : 'disconnected'}/${s.stale ? 'stale' : 'fresh'}`).join(', ')}`,
      );
    },
  );
});

/** The part of a snapshot this test owns, without task `updatedAt`. */
type View = {
  service: ServiceInfo | undefined;
  tasks: Omit<TaskInfo, 'updatedAt'>[];
  nodes: NodeInfo[] | undefined;
};

/**
 * What the test's view should be after the manager restart: `before`, except for tasks swarm replaced,
 * which become the tasks the engine now runs in their place (from `docker inspect`, not from discovery).
 */
function afterRestart(before: View, engineTasks: RigTask[]): View {
  const kept = new Map(before.tasks.map((task) => [task.id, task]));
  const nodeId = (hostname: string | undefined) => before.nodes?.find((n) => n.hostname === hostname)?.id;
  const [networkId = ''] = before.service?.networks ?? [];
  const tasks = engineTasks.map((task): View['tasks'][number] => {
    const old = kept.get(task.id);
    if (old) return old;
    const fresh: View['tasks'][number] = {
      id: task.id,
      serviceId: before.service?.id ?? '',
      nodeId: nodeId(task.node?.hostname) ?? '',
      desiredState: task.desiredState,
      state: task.state,
      networks: [{ networkId, addresses: Object.values(task.addresses) }],
      hostPorts: task.ports.map((p) => ({
        protocol: p.protocol as TaskHostPort['protocol'],
        targetPort: p.target,
        publishedPort: p.published,
      })),
    };
    if (task.slot !== undefined) fresh.slot = task.slot;
    if (task.containerId !== undefined) fresh.containerId = task.containerId;
    return fresh;
  });
  return { ...before, tasks: tasks.sort((a, b) => compare(a.id, b.id)) };
}

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

/**
 * Where `after` differs from `before`, one `path: before → after` per leaf, so a failed comparison says
 * which field moved. Elements of arrays are matched by `id` when they have one (tasks, nodes), else by index.
 */
function differences(before: unknown, after: unknown, path = ''): string[] {
  if (isDeepStrictEqual(before, after)) return [];
  const b = keyed(before);
  const a = keyed(after);
  if (b === undefined || a === undefined) {
    return [`${path || '(root)'}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`];
  }
  const keys = new Set([...b.keys(), ...a.keys()]);
  return [...keys].flatMap((key) => differences(b.get(key), a.get(key), `${path}${key}`));
}

/** An object's or array's children by path segment (`.name`, `[id]`, `[index]`); undefined for leaves. */
function keyed(value: unknown): Map<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (!Array.isArray(value)) return new Map(Object.entries(value).map(([k, v]) => [`.${k}`, v]));
  const ids = value.map((item) => (item as { id?: unknown })?.id);
  const byId = ids.every((id) => typeof id === 'string') && new Set(ids).size === ids.length;
  return new Map(value.map((item, i) => [`[${byId ? ids[i] : i}]`, item]));
}
