import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotFromEngine } from '../../../src/discovery/engine-snapshot.js';
import type { SwarmSnapshot } from '../../../src/discovery/snapshot.js';
import { recorded } from './recorded-engine.js';

// Recorded from a 3-node rig (1 manager) with test/fixtures/engine/stack.yml deployed as `shop`; see
// test/fixtures/engine/record.sh.
const SERVICE = {
  web: 'y1yvn2m7uhhipq8xc2kdlzo9y',
  api: 'qqlixpraxpzvtvhz0tdb1cub8',
  agent: 'xmz3fnlzjqgywnn3b3n269dph',
};
const NODE = {
  one: 'mkhbz7nvhnzhwyctah600wdm0',
  two: 'f18ony972zw81jkpi363whk1d',
  three: 'y36th7vyjpz3timwgrfox760c',
};
const FRONT = 'cgh5g0sky08i4w9mmdvlqtowj';
const INGRESS = 'mkyohlf1zc6rhdligb6rh5hrh';

function service(snapshot: SwarmSnapshot, id: string) {
  const found = snapshot.services.find((s) => s.id === id);
  assert.ok(found, `service ${id} is in the snapshot`);
  return found;
}

const taskStates = (snapshot: SwarmSnapshot) =>
  snapshot.tasks.map((t) => `${t.id.slice(0, 4)} ${t.desiredState}/${t.state}`);

test('steady stack: services with labels, modes, endpoint modes, merged ports and network ids', () => {
  const snapshot = snapshotFromEngine(recorded('steady'));
  assert.deepEqual(
    snapshot.services.map((s) => s.name),
    ['shop_api', 'shop_agent', 'shop_web'],
  );

  assert.deepEqual(service(snapshot, SERVICE.web), {
    id: SERVICE.web,
    name: 'shop_web',
    labels: {
      'com.docker.stack.image': 'swarmgate-rig/whoami:latest',
      'com.docker.stack.namespace': 'shop',
      'swarmgate.enable': 'true',
      'swarmgate.hosts': 'shop.example.com',
      'swarmgate.sticky': 'cookie',
    },
    containerLabels: { 'com.docker.stack.namespace': 'shop', 'swarmgate.enable': 'true' },
    mode: 'replicated',
    replicas: 2,
    endpointMode: 'dnsrr',
    ports: [{ protocol: 'tcp', targetPort: 80, publishMode: 'host', publishedPort: 8081 }],
    networks: [FRONT],
    stack: 'shop',
  });

  const api = service(snapshot, SERVICE.api);
  assert.equal(api.endpointMode, 'vip');
  // Port 80 was published without a port: the engine assigned 30000, found only in Endpoint.Ports.
  assert.deepEqual(api.ports, [
    { protocol: 'tcp', targetPort: 80, publishMode: 'ingress', publishedPort: 30000 },
    { protocol: 'tcp', targetPort: 81, publishMode: 'ingress', publishedPort: 8090 },
  ]);

  const agent = service(snapshot, SERVICE.agent);
  assert.equal(agent.mode, 'global');
  assert.equal(agent.replicas, undefined);
  assert.equal(agent.updateState, undefined);
});

test('steady stack: running tasks with slots, addresses without prefix and deduplicated host ports', () => {
  const snapshot = snapshotFromEngine(recorded('steady'));
  assert.equal(snapshot.tasks.length, 6);
  const web1 = snapshot.tasks.find((t) => t.serviceId === SERVICE.web && t.slot === 1);
  assert.deepEqual(web1, {
    id: '0hbbd9gcdya3158zwse0psr01',
    serviceId: SERVICE.web,
    slot: 1,
    nodeId: NODE.three,
    desiredState: 'running',
    state: 'running',
    containerId: 'd5246822a7b06f23d11d84756157ad602dad0eeb711440ce3eab7d3ccd7d74eb',
    networks: [{ networkId: FRONT, addresses: ['10.232.1.8'] }],
    // The engine reports the binding twice (IPv4 and IPv6).
    hostPorts: [{ protocol: 'tcp', targetPort: 80, publishedPort: 8081 }],
    updatedAt: '2026-11-25T17:19:12.129232592Z',
  });

  const apiTask = snapshot.tasks.find((t) => t.serviceId === SERVICE.api);
  assert.deepEqual(
    apiTask?.networks.map((n) => n.networkId),
    [FRONT, INGRESS].sort(),
  );
  assert.deepEqual(apiTask?.hostPorts, []);

  const agentTasks = snapshot.tasks.filter((t) => t.serviceId === SERVICE.agent);
  assert.deepEqual(agentTasks.map((t) => t.nodeId).sort(), Object.values(NODE).sort());
  assert.ok(agentTasks.every((t) => t.slot === undefined));
});

test('steady stack: nodes and networks', () => {
  const snapshot = snapshotFromEngine(recorded('steady'));
  assert.deepEqual(
    snapshot.nodes.find((n) => n.id === NODE.one),
    {
      id: NODE.one,
      hostname: 'sg3-node1',
      address: '10.231.3.11',
      state: 'ready',
      availability: 'active',
      role: 'manager',
    },
  );
  assert.deepEqual(
    snapshot.nodes.map((n) => n.role),
    ['worker', 'manager', 'worker'],
  );
  assert.deepEqual(
    snapshot.networks.find((n) => n.id === FRONT),
    { id: FRONT, name: 'shop_front', driver: 'overlay', scope: 'swarm', ingress: false },
  );
  assert.equal(snapshot.networks.find((n) => n.ingress)?.id, INGRESS);
});

test('rolling update: the old task is draining (desired shutdown, still running), the new one is not up yet', () => {
  const snapshot = snapshotFromEngine(recorded('rolling-update'));
  assert.equal(service(snapshot, SERVICE.web).updateState, 'updating');
  const web = snapshot.tasks.filter((t) => t.serviceId === SERVICE.web);
  assert.deepEqual(
    web.map((t) => [t.slot, t.desiredState, t.state]),
    [
      [1, 'shutdown', 'running'],
      [1, 'ready', 'ready'],
      [2, 'running', 'running'],
    ],
  );
});

test('node down: its tasks, finished tasks and tasks of other services are dropped', () => {
  const raw = recorded('node-down');
  const snapshot = snapshotFromEngine(raw);
  assert.equal(snapshot.nodes.find((n) => n.id === NODE.three)?.state, 'down');
  assert.ok(snapshot.tasks.every((t) => t.nodeId !== NODE.three));
  assert.deepEqual(taskStates(snapshot), [
    '5eks ready/ready',
    'dbk2 running/running',
    'l3fv running/running',
    'ms14 running/running',
    'p29o running/running',
  ]);
  assert.equal(service(snapshot, 'ybzrzimils7oocmb2l27ytzu8').mode, 'replicated-job');
  assert.equal(service(snapshot, SERVICE.web).updateState, 'completed');

  const withoutWeb = snapshotFromEngine({
    ...raw,
    services: raw.services.filter((s) => (s as { ID: string }).ID !== SERVICE.web),
  });
  assert.ok(withoutWeb.tasks.every((t) => t.serviceId !== SERVICE.web));
  assert.equal(withoutWeb.tasks.length, 3);
});

test('the same swarm gives the same snapshot, whatever the order of the lists', () => {
  for (const scenario of ['steady', 'rolling-update', 'node-down']) {
    const raw = recorded(scenario);
    const reversed = {
      services: [...raw.services].reverse(),
      tasks: [...raw.tasks].reverse(),
      nodes: [...raw.nodes].reverse(),
      networks: [...raw.networks].reverse(),
    };
    const snapshot = snapshotFromEngine(raw);
    assert.deepEqual(snapshotFromEngine(reversed), snapshot);
    assert.equal(JSON.stringify(snapshotFromEngine(reversed)), JSON.stringify(snapshot));
    for (const list of [snapshot.services, snapshot.tasks, snapshot.nodes, snapshot.networks]) {
      const ids = list.map((x) => x.id);
      assert.deepEqual(ids, [...ids].sort(), `${scenario}: sorted by id`);
    }
  }
});

test('a manager reporting 0.0.0.0 gets the host part of its raft address', () => {
  const raw = recorded('steady');
  const nodes = raw.nodes.map((node) => {
    const n = structuredClone(node) as {
      ID: string;
      Status: { Addr: string };
      ManagerStatus?: { Addr: string };
    };
    if (n.ID === NODE.one) n.Status.Addr = '0.0.0.0';
    if (n.ID === NODE.two) {
      n.Status.Addr = '0.0.0.0';
      n.ManagerStatus = { Addr: '[fd00::2]:2377' };
    }
    return n;
  });
  const snapshot = snapshotFromEngine({ ...raw, nodes });
  assert.equal(snapshot.nodes.find((n) => n.id === NODE.one)?.address, '10.231.3.11');
  assert.equal(snapshot.nodes.find((n) => n.id === NODE.two)?.address, 'fd00::2');
});

test('malformed entries are skipped and odd fields fall back, without throwing', () => {
  const raw = recorded('steady');
  const web = structuredClone(raw.services.find((s) => (s as { ID: string }).ID === SERVICE.web)) as {
    Spec: { EndpointSpec: { Ports: unknown[] }; Labels: Record<string, unknown> };
  };
  web.Spec.EndpointSpec.Ports.push({ TargetPort: 'eighty' }, null);
  web.Spec.Labels['not.a.string'] = 42;
  const otherServices = raw.services.filter((s) => (s as { ID: string }).ID !== SERVICE.web);
  const snapshot = snapshotFromEngine({
    services: [
      ...otherServices,
      web,
      null,
      7,
      'x',
      { ID: 'no-spec' },
      { ID: 'm', Spec: { Name: 'm', Mode: {} } },
    ],
    tasks: [
      ...raw.tasks,
      null,
      { ID: 'no-node', ServiceID: SERVICE.web, DesiredState: 'running', Status: {} },
    ],
    nodes: [...raw.nodes, { ID: 'bad', Spec: { Role: 'king', Availability: 'active' }, Status: {} }],
    networks: [...raw.networks, { Name: 'no id' }],
  });
  const expected = snapshotFromEngine(raw);
  assert.deepEqual(snapshot, expected);
  assert.deepEqual(snapshotFromEngine({ services: [], tasks: [], nodes: [], networks: [] }), {
    services: [],
    tasks: [],
    nodes: [],
    networks: [],
  });
});

test('spec networks given by name are resolved to ids; the old Spec.Networks is a fallback', () => {
  const raw = recorded('steady');
  const services = raw.services.map((s) => {
    const copy = structuredClone(s) as {
      ID: string;
      Spec: { TaskTemplate: { Networks?: unknown }; Networks?: unknown };
    };
    if (copy.ID === SERVICE.web) copy.Spec.TaskTemplate.Networks = [{ Target: 'shop_front' }];
    if (copy.ID === SERVICE.api) {
      delete copy.Spec.TaskTemplate.Networks;
      copy.Spec.Networks = [{ Target: FRONT }];
    }
    return copy;
  });
  const snapshot = snapshotFromEngine({ ...raw, services });
  assert.deepEqual(service(snapshot, SERVICE.web).networks, [FRONT]);
  assert.deepEqual(service(snapshot, SERVICE.api).networks, [FRONT]);
});

test('tasks on a node in state unknown are kept: a new leader marks every node unknown for a while', () => {
  const raw = recorded('steady');
  const nodes = raw.nodes.map((node) => {
    const n = structuredClone(node) as { ID: string; Status: { State: string } };
    if (n.ID === NODE.three) n.Status.State = 'unknown';
    return n;
  });
  const snapshot = snapshotFromEngine({ ...raw, nodes });
  assert.equal(snapshot.nodes.find((n) => n.id === NODE.three)?.state, 'unknown');
  assert.deepEqual(snapshot.tasks, snapshotFromEngine(raw).tasks);
  // A node that is not listed at all (removed from the swarm) takes its tasks with it.
  const removed = snapshotFromEngine({
    ...raw,
    nodes: raw.nodes.filter((n) => (n as { ID: string }).ID !== NODE.three),
  });
  assert.ok(removed.tasks.every((t) => t.nodeId !== NODE.three));
});

test('manager restarted: running tasks listed without PortStatus get the fixed host ports of their service', () => {
  const raw = recorded('manager-restarted');
  const lost = (raw.tasks as { ID: string; Status: { PortStatus?: { Ports?: unknown[] } } }[])
    .filter((t) => !t.Status.PortStatus?.Ports)
    .map((t) => t.ID);
  const snapshot = snapshotFromEngine(raw);
  const hostPorts = (id: string) => snapshot.tasks.find((t) => t.id === id)?.hostPorts;
  assert.ok(lost.includes('2j4vgm0cehozllhwdhu4dvp6q') && lost.includes('ohdnh6xvtncik9dju32w0v3r0'));
  assert.deepEqual(hostPorts('2j4vgm0cehozllhwdhu4dvp6q'), [
    { protocol: 'tcp', targetPort: 80, publishedPort: 8081 },
  ]);
  assert.deepEqual(hostPorts('ohdnh6xvtncik9dju32w0v3r0'), [
    { protocol: 'tcp', targetPort: 80, publishedPort: 9000 },
  ]);
  // shop_api publishes through the ingress mesh only: no host ports to infer.
  assert.deepEqual(hostPorts('6sehxfgc649er98xx18300ryp'), []);

  // A host-mode port without a fixed published port is different on every node: nothing to infer.
  const dynamic = raw.services.map((s) => {
    const copy = structuredClone(s) as {
      ID: string;
      Spec: { EndpointSpec: { Ports: { PublishedPort?: number }[] } };
      Endpoint: { Ports: { PublishedPort?: number }[] };
    };
    if (copy.ID === SERVICE.web) {
      for (const p of [...copy.Spec.EndpointSpec.Ports, ...copy.Endpoint.Ports]) delete p.PublishedPort;
    }
    return copy;
  });
  const withDynamicPorts = snapshotFromEngine({ ...raw, services: dynamic });
  assert.deepEqual(withDynamicPorts.tasks.find((t) => t.id === '2j4vgm0cehozllhwdhu4dvp6q')?.hostPorts, []);
});
