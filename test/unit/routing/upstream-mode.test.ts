import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PortSpec } from '../../../src/discovery/snapshot.js';
import { translate } from '../../../src/routing/translate.js';
import { BORDER, INGRESS, service, snapshot } from './snapshot-builder.js';
import { backendOf, onlyDiagnostic, routeIds } from './table-query.js';

const base = { 'swarmgate.enable': 'true', 'swarmgate.hosts': 'shop.example.com', 'swarmgate.port': '80' };
const hostPort: PortSpec = { protocol: 'tcp', targetPort: 80, publishMode: 'host' };
const meshPort: PortSpec = { protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'ingress' };

function modeOf(
  labels: Record<string, string>,
  ports: PortSpec[],
  context = INGRESS,
  networks = ['net-app'],
) {
  const table = translate(snapshot([service('web', labels, { ports, networks })]), context);
  return table.routes.length === 0 ? table : backendOf(table, 'web/default');
}

describe('default upstream mode', () => {
  test('task mode on the network shared with the gateway, named or by id', () => {
    for (const networks of [['app'], ['net-app']]) {
      const backend = modeOf(base, [hostPort, meshPort], { role: 'ingress', networks });
      assert.ok('mode' in backend);
      assert.equal(backend.mode, 'task');
      assert.equal(backend.network, 'net-app');
      assert.equal(backend.id, 'web:task:80@app');
    }
  });
  test('the ingress network never counts as shared', () => {
    const table = modeOf(base, [], { role: 'ingress', networks: ['ingress'] }, ['net-app', 'net-ingress']);
    assert.ok('diagnostics' in table);
    assert.equal(onlyDiagnostic(table).code, 'SG_ERR_NO_UPSTREAM_MODE');
  });
  test('hostport when there is no shared network and the port is published in host mode', () => {
    const backend = modeOf(base, [hostPort, meshPort], BORDER);
    assert.ok('mode' in backend);
    assert.equal(backend.mode, 'hostport');
    assert.equal(backend.id, 'web:hostport:80');
  });
  test('mesh when the port is published only on the routing mesh', () => {
    const backend = modeOf(base, [meshPort], BORDER);
    assert.ok('mode' in backend);
    assert.equal(backend.mode, 'mesh');
  });
  test('nothing fits: SG_ERR_NO_UPSTREAM_MODE says what is missing', () => {
    const table = modeOf(base, [], BORDER);
    assert.ok('diagnostics' in table);
    const d = onlyDiagnostic(table);
    assert.equal(d.code, 'SG_ERR_NO_UPSTREAM_MODE');
    assert.equal(d.label, 'swarmgate.upstream');
    assert.equal(d.route, 'web/default');
    assert.match(d.message, /no shared network \(the service is on app, this gateway on no network\)/);
    assert.match(d.message, /published neither in host mode nor on the routing mesh/);
  });
});

describe('explicit upstream mode', () => {
  test('task without a shared network', () => {
    const table = modeOf({ ...base, 'swarmgate.upstream': 'task' }, [hostPort], BORDER);
    assert.ok('diagnostics' in table);
    const d = onlyDiagnostic(table);
    assert.deepEqual([d.code, d.label, d.value], ['SG_ERR_NO_UPSTREAM_MODE', 'swarmgate.upstream', 'task']);
    assert.match(d.message, /upstream `task` needs a network shared with this gateway/);
  });
  test('hostport without a host-mode published port', () => {
    const table = modeOf({ ...base, 'swarmgate.upstream': 'hostport' }, [meshPort]);
    assert.ok('diagnostics' in table);
    assert.match(onlyDiagnostic(table).message, /upstream `hostport` needs port 80 published in host mode/);
  });
  test('mesh without a routing-mesh published port', () => {
    const table = modeOf({ ...base, 'swarmgate.upstream': 'mesh' }, [hostPort]);
    assert.ok('diagnostics' in table);
    assert.match(
      onlyDiagnostic(table).message,
      /upstream `mesh` needs port 80 published on the routing mesh/,
    );
  });
  test('an explicit mode overrides a possible task mode', () => {
    const backend = modeOf({ ...base, 'swarmgate.upstream': 'hostport' }, [hostPort]);
    assert.ok('mode' in backend);
    assert.equal(backend.mode, 'hostport');
  });
});

describe('network choice', () => {
  const both = { role: 'ingress' as const, networks: ['app', 'other'] };
  test('several shared networks: swarmgate.network is required', () => {
    const table = modeOf(base, [], both, ['net-app', 'net-other']);
    assert.ok('diagnostics' in table);
    const d = onlyDiagnostic(table);
    assert.deepEqual(
      [d.code, d.label, d.route],
      ['SG_ERR_LABEL_MISSING', 'swarmgate.network', 'web/default'],
    );
    assert.match(d.message, /shares several networks with this gateway \(app, other\)/);
  });
  test('swarmgate.network picks one by name, id or short stack name', () => {
    const stacked = [
      { id: 'net-app', name: 'shop_app', driver: 'overlay', scope: 'swarm', ingress: false },
      { id: 'net-other', name: 'shop_other', driver: 'overlay', scope: 'swarm', ingress: false },
    ];
    for (const value of ['shop_other', 'net-other', 'other']) {
      const web = service(
        'web',
        { ...base, 'swarmgate.network': value },
        { networks: ['net-app', 'net-other'], stack: 'shop' },
      );
      const table = translate(snapshot([web], [], { networks: stacked }), {
        role: 'ingress',
        networks: ['shop_app', 'shop_other'],
      });
      assert.equal(backendOf(table, 'web/default').network, 'net-other', value);
    }
  });
  test('a network the service is not on is an invalid label', () => {
    const table = modeOf({ ...base, 'swarmgate.network': 'backend' }, []);
    assert.ok('diagnostics' in table);
    const d = onlyDiagnostic(table);
    assert.deepEqual([d.code, d.label, d.value], ['SG_ERR_LABEL_INVALID', 'swarmgate.network', 'backend']);
    assert.match(d.message, /must name a network the service is attached to \(app\)/);
  });
  test('the ingress network is refused', () => {
    const table = modeOf({ ...base, 'swarmgate.network': 'ingress' }, [], INGRESS, [
      'net-app',
      'net-ingress',
    ]);
    assert.ok('diagnostics' in table);
    assert.match(onlyDiagnostic(table).message, /other than the routing mesh's ingress network/);
  });
  test('a chosen network the gateway is not on falls back to the next mode', () => {
    const table = translate(
      snapshot([
        service(
          'web',
          { ...base, 'swarmgate.network': 'other' },
          { ports: [hostPort], networks: ['net-app', 'net-other'] },
        ),
      ]),
      INGRESS,
    );
    assert.deepEqual(routeIds(table), ['web/default']);
    assert.equal(backendOf(table, 'web/default').mode, 'hostport');
  });
});
