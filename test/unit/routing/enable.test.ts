import assert from 'node:assert/strict';
import { test } from 'node:test';
import { translate } from '../../../src/routing/translate.js';
import { INGRESS, service, snapshot } from './snapshot-builder.js';
import { onlyDiagnostic, routeIds } from './table-query.js';

const routed = { 'swarmgate.hosts': 'shop.example.com', 'swarmgate.port': '80' };

test('a service without swarmgate.enable is ignored silently, even with other swarmgate labels', () => {
  const table = translate(snapshot([service('web', routed)]), INGRESS);
  assert.deepEqual(table.routes, []);
  assert.deepEqual(table.diagnostics, []);
});

test('swarmgate.enable accepts true and false in any letter case', () => {
  const on = translate(snapshot([service('web', { ...routed, 'swarmgate.enable': 'TRUE' })]), INGRESS);
  assert.deepEqual(routeIds(on), ['web/default']);
  const off = translate(snapshot([service('web', { ...routed, 'swarmgate.enable': 'False' })]), INGRESS);
  assert.deepEqual(off.routes, []);
  assert.deepEqual(off.diagnostics, []);
});

test('any other swarmgate.enable value skips the service with an error', () => {
  const table = translate(snapshot([service('web', { ...routed, 'swarmgate.enable': 'yes' })]), INGRESS);
  assert.deepEqual(table.routes, []);
  const d = onlyDiagnostic(table);
  assert.deepEqual(
    { code: d.code, severity: d.severity, service: d.service, label: d.label, value: d.value },
    {
      code: 'SG_ERR_LABEL_INVALID',
      severity: 'error',
      service: 'web',
      label: 'swarmgate.enable',
      value: 'yes',
    },
  );
  assert.match(d.message, /must be `true` or `false`/);
});

test('labels on the container instead of the service are pointed out', () => {
  const web = service(
    'web',
    {},
    { containerLabels: { 'swarmgate.enable': 'true', 'swarmgate.hosts': 'a.example', other: 'x' } },
  );
  const table = translate(snapshot([web]), INGRESS);
  assert.deepEqual(table.routes, []);
  const d = onlyDiagnostic(table);
  assert.equal(d.code, 'SG_ERR_LABEL_ON_CONTAINER');
  assert.equal(d.severity, 'warning');
  assert.equal(d.service, 'web');
  assert.equal(d.value, 'swarmgate.enable, swarmgate.hosts');
  assert.match(d.message, /on the container \(`labels:` in the stack file\)/);
  assert.match(d.message, /under `deploy\.labels:`/);
  assert.match(d.message, /not routed/);
});

test('labels on both container and service: served from the service labels, with the same warning', () => {
  const web = service(
    'web',
    { ...routed, 'swarmgate.enable': 'true' },
    { containerLabels: { 'swarmgate.enable': 'true' } },
  );
  const table = translate(snapshot([web]), INGRESS);
  assert.deepEqual(routeIds(table), ['web/default']);
  const d = onlyDiagnostic(table);
  assert.equal(d.code, 'SG_ERR_LABEL_ON_CONTAINER');
  assert.match(d.message, /under `deploy\.labels:`\. The service labels are used; these are ignored\./);
});

test('an enabled service without any route is an error', () => {
  const table = translate(
    snapshot([service('web', { 'swarmgate.enable': 'true', 'swarmgate.port': '80' })]),
    INGRESS,
  );
  const d = onlyDiagnostic(table);
  assert.equal(d.code, 'SG_ERR_LABEL_MISSING');
  assert.equal(d.label, 'swarmgate.hosts');
  assert.match(d.message, /no route: set swarmgate\.hosts, or swarmgate\.routes\.<name>\.hosts/);
});
