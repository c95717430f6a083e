import assert from 'node:assert/strict';
import { test } from 'node:test';
import { translate } from '../../../src/routing/translate.js';
import { INGRESS, service, snapshot } from './snapshot-builder.js';
import { routeIds } from './table-query.js';

const on = { 'swarmgate.enable': 'true', 'swarmgate.port': '80' };

test('two services claiming the same host, path and priority: both dropped, each told about the other', () => {
  const a = service('alpha', { ...on, 'swarmgate.hosts': 'shop.example.com,alpha.example.com' });
  const b = service('beta', { ...on, 'swarmgate.hosts': 'shop.example.com' });
  const c = service('gamma', { ...on, 'swarmgate.hosts': 'gamma.example.com' });
  const table = translate(snapshot([b, c, a]), INGRESS);
  assert.deepEqual(routeIds(table), ['gamma/default']);
  assert.deepEqual(
    table.backends.map((x) => x.id),
    ['gamma:task:80@app'],
  );
  assert.deepEqual(
    table.diagnostics.map((d) => [d.code, d.severity, d.service, d.label, d.value, d.route]),
    [
      ['SG_ERR_ROUTE_CONFLICT', 'error', 'alpha', 'swarmgate.hosts', 'shop.example.com', 'alpha/default'],
      ['SG_ERR_ROUTE_CONFLICT', 'error', 'beta', 'swarmgate.hosts', 'shop.example.com', 'beta/default'],
    ],
  );
  assert.match(
    table.diagnostics[0]!.message,
    /alpha\/default conflicts with beta\/default: .* host shop\.example\.com, path \/ and priority 10001/,
  );
  assert.match(table.diagnostics[1]!.message, /beta\/default conflicts with alpha\/default/);
});

test('a different path or priority settles the overlap', () => {
  const a = service('alpha', { ...on, 'swarmgate.hosts': 'shop.example.com' });
  const b = service('beta', { ...on, 'swarmgate.hosts': 'shop.example.com', 'swarmgate.path': '/api' });
  const c = service('gamma', { ...on, 'swarmgate.hosts': 'shop.example.com', 'swarmgate.priority': '5' });
  const table = translate(snapshot([a, b, c]), INGRESS);
  assert.deepEqual(routeIds(table), ['alpha/default', 'beta/default', 'gamma/default']);
  assert.deepEqual(table.diagnostics, []);
});

test('two routes of one service can conflict too', () => {
  const web = service('web', {
    ...on,
    'swarmgate.hosts': 'shop.example.com',
    'swarmgate.routes.copy.hosts': 'SHOP.example.com',
    'swarmgate.routes.other.hosts': 'other.example.com',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.deepEqual(routeIds(table), ['web/other']);
  assert.deepEqual(
    table.diagnostics.map((d) => [d.label, d.route]),
    [
      ['swarmgate.routes.copy.hosts', 'web/copy'],
      ['swarmgate.hosts', 'web/default'],
    ],
  );
});
