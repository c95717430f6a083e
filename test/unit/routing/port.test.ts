import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PortSpec } from '../../../src/discovery/snapshot.js';
import { translate } from '../../../src/routing/translate.js';
import { INGRESS, service, snapshot } from './snapshot-builder.js';
import { backendOf, onlyDiagnostic, routeIds } from './table-query.js';

const labels = { 'swarmgate.enable': 'true', 'swarmgate.hosts': 'shop.example.com' };
const host = (targetPort: number, protocol: PortSpec['protocol'] = 'tcp'): PortSpec => ({
  protocol,
  targetPort,
  publishMode: 'host',
});

test('the port defaults to the only target port the service publishes', () => {
  const table = translate(
    snapshot([service('web', labels, { ports: [host(8080), host(8080), host(53, 'udp')] })]),
    INGRESS,
  );
  assert.equal(backendOf(table, 'web/default').port, 8080);
});

test('an explicit port wins over the published one', () => {
  const table = translate(
    snapshot([service('web', { ...labels, 'swarmgate.port': '9000' }, { ports: [host(8080)] })]),
    INGRESS,
  );
  assert.equal(backendOf(table, 'web/default').port, 9000);
});

test('several published ports: the port label is required and the candidates are listed', () => {
  const table = translate(snapshot([service('web', labels, { ports: [host(443), host(80)] })]), INGRESS);
  assert.deepEqual(routeIds(table), []);
  const d = onlyDiagnostic(table);
  assert.equal(d.code, 'SG_ERR_LABEL_MISSING');
  assert.equal(d.label, 'swarmgate.port');
  assert.equal(d.route, 'web/default');
  assert.match(d.message, /publishes several ports \(80, 443\), so set swarmgate\.port to one of them/);
});

test('no published port: the port label is required', () => {
  const table = translate(snapshot([service('web', labels)]), INGRESS);
  const d = onlyDiagnostic(table);
  assert.equal(d.code, 'SG_ERR_LABEL_MISSING');
  assert.equal(d.label, 'swarmgate.port');
  assert.match(d.message, /publishes no port, so set swarmgate\.port to the container port/);
});

test('a named route is told about its own port label', () => {
  const named = { 'swarmgate.enable': 'true', 'swarmgate.routes.api.hosts': 'api.example.com' };
  const d = onlyDiagnostic(translate(snapshot([service('web', named)]), INGRESS));
  assert.equal(d.label, 'swarmgate.routes.api.port');
  assert.equal(d.route, 'web/api');
});
