import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PortSpec } from '../../../src/discovery/snapshot.js';
import { translate } from '../../../src/routing/translate.js';
import { BORDER, INGRESS, service, snapshot } from './snapshot-builder.js';
import { backendOf, onlyDiagnostic, routeIds, routeOf } from './table-query.js';

const hostPorts: PortSpec[] = [
  { protocol: 'tcp', targetPort: 80, publishMode: 'host' },
  { protocol: 'tcp', targetPort: 8081, publishMode: 'host' },
];

test('unscoped keys form route default, named keys form one route per name', () => {
  const web = service('web', {
    'swarmgate.enable': 'true',
    'swarmgate.port': '80',
    'swarmgate.hosts': 'shop.example.com',
    'swarmgate.routes.api.hosts': 'api.example.com',
    'swarmgate.routes.api.path': '/v1',
    'swarmgate.routes.admin.hosts': 'admin.example.com',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.deepEqual(routeIds(table), ['web/admin', 'web/api', 'web/default']);
  assert.deepEqual(routeOf(table, 'web/api').hosts, ['api.example.com']);
  assert.equal(routeOf(table, 'web/api').path, '/v1');
  assert.equal(routeOf(table, 'web/admin').name, 'admin');
  assert.deepEqual(table.diagnostics, []);
});

test('without swarmgate.hosts there is no route default, only the named ones', () => {
  const web = service('web', {
    'swarmgate.enable': 'true',
    'swarmgate.port': '80',
    'swarmgate.routes.api.hosts': 'api.example.com',
  });
  assert.deepEqual(routeIds(translate(snapshot([web]), INGRESS)), ['web/api']);
});

test('routes reaching the same port share one backend; another port gets its own', () => {
  const web = service(
    'web',
    {
      'swarmgate.enable': 'true',
      'swarmgate.port': '80',
      'swarmgate.hosts': 'shop.example.com',
      'swarmgate.routes.www.hosts': 'www.example.com',
      'swarmgate.routes.metrics.hosts': 'metrics.example.com',
      'swarmgate.routes.metrics.port': '8081',
    },
    { ports: hostPorts },
  );
  const table = translate(snapshot([web]), BORDER);
  assert.deepEqual(
    table.backends.map((b) => b.id),
    ['web:hostport:80', 'web:hostport:8081'],
  );
  assert.equal(backendOf(table, 'web/www').id, 'web:hostport:80');
  assert.equal(backendOf(table, 'web/default').id, 'web:hostport:80');
  assert.equal(backendOf(table, 'web/metrics').id, 'web:hostport:8081');
});

test('a named route without hosts is dropped with a diagnostic naming its hosts label', () => {
  const web = service('web', {
    'swarmgate.enable': 'true',
    'swarmgate.port': '80',
    'swarmgate.hosts': 'shop.example.com',
    'swarmgate.routes.api.path': '/api',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.deepEqual(routeIds(table), ['web/default']);
  const d = onlyDiagnostic(table);
  assert.deepEqual(
    [d.code, d.label, d.value, d.route],
    ['SG_ERR_LABEL_MISSING', 'swarmgate.routes.api.hosts', '', 'web/api'],
  );
  assert.match(d.message, /route web\/api has no hosts: set swarmgate\.routes\.api\.hosts/);
});

test('route names must be lower-case letters, digits and hyphens', () => {
  const web = service('web', {
    'swarmgate.enable': 'true',
    'swarmgate.port': '80',
    'swarmgate.routes.Api.hosts': 'api.example.com',
    'swarmgate.routes.ok-2.hosts': 'ok.example.com',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.deepEqual(routeIds(table), ['web/ok-2']);
  const d = onlyDiagnostic(table);
  assert.deepEqual(
    [d.code, d.label, d.value, d.route],
    ['SG_ERR_LABEL_INVALID', 'swarmgate.routes.Api.hosts', 'api.example.com', 'web/Api'],
  );
  assert.match(d.message, /\[a-z0-9\]\[a-z0-9-\]\*/);
});

test('route name default is reserved for the unscoped keys', () => {
  const web = service('web', {
    'swarmgate.enable': 'true',
    'swarmgate.port': '80',
    'swarmgate.hosts': 'shop.example.com',
    'swarmgate.routes.default.path': '/x',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.equal(routeOf(table, 'web/default').path, '/');
  const d = onlyDiagnostic(table);
  assert.deepEqual([d.code, d.label], ['SG_ERR_LABEL_INVALID', 'swarmgate.routes.default.path']);
  assert.match(d.message, /write swarmgate\.path instead/);
});
