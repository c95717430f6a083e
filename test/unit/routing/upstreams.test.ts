import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PortSpec } from '../../../src/discovery/snapshot.js';
import { translate } from '../../../src/routing/translate.js';
import { BORDER, INGRESS, NODES, service, snapshot, task } from './snapshot-builder.js';
import { backendOf } from './table-query.js';

const labels = { 'swarmgate.enable': 'true', 'swarmgate.hosts': 'shop.example.com', 'swarmgate.port': '80' };
const web = service('web', labels, { ports: [{ protocol: 'tcp', targetPort: 80, publishMode: 'host' }] });

test('task mode: the task IP on the chosen network and the container port', () => {
  const table = translate(snapshot([web], [task(web, 2), task(web, 1)]), INGRESS);
  assert.deepEqual(backendOf(table, 'web/default').upstreams, [
    {
      id: 'task:web-t1@10.232.1.1:80',
      address: '10.232.1.1:80',
      host: '10.232.1.1',
      port: 80,
      task: 'web-t1',
      slot: 1,
      node: 'node-1',
      nodeHostname: 'host1',
      state: 'ready',
    },
    {
      id: 'task:web-t2@10.232.1.2:80',
      address: '10.232.1.2:80',
      host: '10.232.1.2',
      port: 80,
      task: 'web-t2',
      slot: 2,
      node: 'node-2',
      nodeHostname: 'host2',
      state: 'ready',
    },
  ]);
});

test('hostport mode: the node address and the port the task published there', () => {
  const t1 = task(web, 1, { hostPorts: [{ protocol: 'tcp', targetPort: 80, publishedPort: 30001 }] });
  const noPort = task(web, 2);
  const table = translate(snapshot([web], [t1, noPort]), BORDER);
  const upstreams = backendOf(table, 'web/default').upstreams;
  assert.deepEqual(
    upstreams.map((u) => [u.id, u.address, u.node]),
    [['task:web-t1@10.231.0.11:30001', '10.231.0.11:30001', 'node-1']],
  );
});

test('mesh mode: every ready, active node on the published port', () => {
  const mesh = service('web', labels, {
    ports: [{ protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'ingress' }],
  });
  const nodes = [
    NODES[0]!,
    { ...NODES[1]!, availability: 'drain' as const },
    { ...NODES[2]!, state: 'down' as const },
    { ...NODES[0]!, id: 'node-4', address: 'fd00::4', hostname: 'host4' },
  ];
  const table = translate(snapshot([mesh], [], { nodes }), BORDER);
  assert.deepEqual(
    backendOf(table, 'web/default').upstreams.map((u) => [u.id, u.address, u.state, u.task]),
    [
      ['node:node-1@10.231.0.11:8080', '10.231.0.11:8080', 'ready', undefined],
      ['node:node-4@[fd00::4]:8080', '[fd00::4]:8080', 'ready', undefined],
    ],
  );
});

test('a running task whose desired state is no longer running is draining', () => {
  const tasks = [
    task(web, 1),
    task(web, 2, { desiredState: 'shutdown' }),
    task(web, 3, { desiredState: 'remove' }),
  ];
  const table = translate(snapshot([web], tasks), INGRESS);
  assert.deepEqual(
    backendOf(table, 'web/default').upstreams.map((u) => [u.task, u.state]),
    [
      ['web-t1', 'ready'],
      ['web-t2', 'draining'],
      ['web-t3', 'draining'],
    ],
  );
});

test('only running tasks on known, ready (or unknown) nodes of existing services are upstreams', () => {
  const gone = service('gone', {});
  const nodes = [
    NODES[0]!,
    { ...NODES[1]!, state: 'down' as const },
    { ...NODES[2]!, state: 'disconnected' as const },
    { ...NODES[2]!, id: 'node-reelected', state: 'unknown' as const },
  ];
  const tasks = [
    task(web, 1),
    task(web, 2),
    task(web, 3),
    task(web, 4, { nodeId: 'node-not-listed' }),
    task(web, 5, { nodeId: 'node-reelected' }),
    task(web, 7, { nodeId: 'node-1', state: 'starting' }),
    task(web, 10, { nodeId: 'node-1', state: 'shutdown', desiredState: 'shutdown' }),
    task(gone, 1, { serviceId: 'id-gone' }),
  ];
  const table = translate(snapshot([web], tasks, { nodes }), INGRESS);
  assert.deepEqual(
    backendOf(table, 'web/default').upstreams.map((u) => u.task),
    ['web-t1', 'web-t5'],
    'a node a new leader has not heard from yet (`unknown`) keeps its tasks',
  );
});

test('a task not yet attached to the network has no upstream; IPv6 task addresses are bracketed', () => {
  const tasks = [
    task(web, 1, { networks: [] }),
    task(web, 2, { networks: [{ networkId: 'net-app', addresses: ['fd00:232::2'] }] }),
  ];
  const table = translate(snapshot([web], tasks), INGRESS);
  assert.deepEqual(
    backendOf(table, 'web/default').upstreams.map((u) => [u.id, u.address, u.host]),
    [['task:web-t2@[fd00:232::2]:80', '[fd00:232::2]:80', 'fd00:232::2']],
  );
});

test('global tasks have no slot', () => {
  const global = service('web', labels, { mode: 'global' });
  const { slot: _none, ...unslotted } = task(global, 1);
  const table = translate(snapshot([global], [unslotted]), INGRESS);
  assert.equal('slot' in backendOf(table, 'web/default').upstreams[0]!, false);
});

test('a udp host port does not count for the tcp route', () => {
  const udpOnly: PortSpec[] = [{ protocol: 'udp', targetPort: 80, publishMode: 'host' }];
  const t1 = task(web, 1, { hostPorts: [{ protocol: 'udp', targetPort: 80, publishedPort: 30001 }] });
  const table = translate(
    snapshot([service('web', { ...labels, 'swarmgate.upstream': 'hostport' }, { ports: udpOnly })], [t1]),
    BORDER,
  );
  assert.equal(table.diagnostics[0]?.code, 'SG_ERR_NO_UPSTREAM_MODE');
});
