import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RIG_IMAGES, Rig, type RigTask, WHOAMI_ENV } from '../rig/index.js';

interface WhoamiAnswer {
  name: string;
  ips: string[];
  url: string;
  task: { node: string | null };
}

test('rig: a multi-node swarm serves host-mode ports from every node and spans an overlay network', async (t) => {
  const rig = await Rig.up();
  assert.equal(rig.nodes.length, 3);
  const stack = `rigsmoke${process.pid}`;
  const network = `${stack}_net`;
  const compose = {
    version: '3.8',
    services: {
      whoami: {
        image: RIG_IMAGES.whoami,
        environment: WHOAMI_ENV,
        networks: ['net'],
        ports: [{ target: 80, mode: 'host' }],
        deploy: { replicas: 3, endpoint_mode: 'dnsrr' },
      },
      probe: {
        image: RIG_IMAGES.base,
        command: ['sleep', '3600'],
        init: true, // so `sleep` stops at once on SIGTERM
        networks: ['net'],
        deploy: {
          endpoint_mode: 'dnsrr',
          placement: { constraints: [`node.hostname == ${rig.node(1).hostname}`] },
        },
      },
    },
    networks: { net: { driver: 'overlay' } },
  };
  t.after(() => rig.removeStack(stack));
  // JSON is YAML, so the compose file can be built as an object.
  await rig.deployStack(stack, JSON.stringify(compose));
  await rig.waitConverged(stack, { timeoutMs: 90_000 });

  const tasks = await rig.tasks(`${stack}_whoami`);
  assert.equal(tasks.length, 3);
  // Swarm spreads a service's replicas over the nodes: one task per node.
  assert.deepEqual(tasks.map((task) => task.node?.index).sort(), [1, 2, 3]);

  await t.test('each task answers on its host-mode published port at its node IP', async () => {
    for (const task of tasks) {
      const node = task.node!;
      const port = task.ports.find((p) => p.target === 80);
      assert.ok(port && port.published > 0, `task ${task.name} reports a published port`);
      const res = await fetch(`http://${node.ip}:${port.published}/from-root`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as WhoamiAnswer;
      assert.equal(body.name, task.name);
      assert.equal(body.task.node, node.hostname);
      assert.equal(body.url, '/from-root');
    }
  });

  await t.test('a container on node 1 reaches a task on another node over the overlay network', async () => {
    const [probe] = await rig.tasks(`${stack}_probe`);
    assert.ok(probe?.containerId, 'probe task has a container');
    assert.equal(probe.node?.index, 1);
    const remote = tasks.find((task) => task.node?.index !== 1) as RigTask;
    const ip = remote.addresses[network];
    assert.ok(ip, `task ${remote.name} has an address on ${network}`);
    const out = await rig.docker(
      ['exec', probe.containerId, 'timeout', '5', 'wget', '-qO-', `http://${ip}:80/overlay`],
      {
        node: 1,
      },
    );
    const body = JSON.parse(out) as WhoamiAnswer;
    assert.equal(body.name, remote.name);
    assert.ok(body.ips.includes(ip));
    assert.equal(body.url, '/overlay');
  });
});
