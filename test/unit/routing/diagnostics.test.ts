import assert from 'node:assert/strict';
import { test } from 'node:test';
import { translate } from '../../../src/routing/translate.js';
import { INGRESS, service, snapshot } from './snapshot-builder.js';
import { onlyDiagnostic, routeIds, routeOf } from './table-query.js';

const enabled = { 'swarmgate.enable': 'true', 'swarmgate.port': '80' };

test("an invalid label drops only its route: the service's other routes and other services keep working", () => {
  const shop = service('shop', {
    ...enabled,
    'swarmgate.hosts': 'shop.example.com',
    'swarmgate.routes.api.hosts': 'api.example.com',
    'swarmgate.routes.api.sticky.max-age': 'forever',
    'swarmgate.routes.api.sticky': 'cookie',
  });
  const blog = service('blog', { ...enabled, 'swarmgate.hosts': 'blog.example.com' });
  const table = translate(snapshot([shop, blog]), INGRESS);
  assert.deepEqual(routeIds(table), ['blog/default', 'shop/default']);
  assert.deepEqual(onlyDiagnostic(table), {
    code: 'SG_ERR_LABEL_INVALID',
    severity: 'error',
    service: 'shop',
    label: 'swarmgate.routes.api.sticky.max-age',
    value: 'forever',
    message:
      'swarmgate.routes.api.sticky.max-age must be a positive number of seconds or a duration such as `30m`, `12h` or `7d`; route shop/api is not served',
    route: 'shop/api',
  });
});

test('every invalid label of a route is reported, not just the first', () => {
  const web = service('web', {
    'swarmgate.enable': 'true',
    'swarmgate.hosts': 'shop.example.com:443',
    'swarmgate.port': '0',
    'swarmgate.balance': 'random',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.deepEqual(table.routes, []);
  assert.deepEqual(
    table.diagnostics.map((d) => [d.label, d.value, d.route]),
    [
      ['swarmgate.balance', 'random', 'web/default'],
      ['swarmgate.hosts', 'shop.example.com:443', 'web/default'],
      ['swarmgate.port', '0', 'web/default'],
    ],
  );
  assert.match(table.diagnostics[0]!.message, /must be one of `round-robin`, `least-requests`/);
  assert.match(table.diagnostics[1]!.message, /must be a host without a port/);
});

test('unknown keys are warnings and the route still works', () => {
  const web = service('web', {
    ...enabled,
    'swarmgate.hosts': 'shop.example.com',
    'swarmgate.stiky': 'cookie',
    'swarmgate.routes.api.hosts': 'api.example.com',
    'swarmgate.routes.api.weight': '3',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.deepEqual(routeIds(table), ['web/api', 'web/default']);
  assert.deepEqual(
    table.diagnostics.map((d) => [d.code, d.severity, d.label, d.route]),
    [
      ['SG_ERR_LABEL_UNKNOWN', 'warning', 'swarmgate.routes.api.weight', undefined],
      ['SG_ERR_LABEL_UNKNOWN', 'warning', 'swarmgate.stiky', undefined],
    ],
  );
  assert.match(table.diagnostics[1]!.message, /unknown key `stiky`.*Known keys: hosts, path/);
});

test('health interval or timeout without a health path: warned, route served without a health check', () => {
  const web = service('web', {
    ...enabled,
    'swarmgate.hosts': 'shop.example.com',
    'swarmgate.health.interval': '5s',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.equal(routeOf(table, 'web/default').health, null);
  const d = onlyDiagnostic(table);
  assert.deepEqual(
    [d.code, d.severity, d.label],
    ['SG_ERR_LABEL_UNUSED', 'warning', 'swarmgate.health.interval'],
  );
  assert.match(d.message, /without a health\.path label/);
});

test('health defaults: interval 10s, timeout 2s; a timeout above the interval is an error', () => {
  const ok = service('ok', {
    ...enabled,
    'swarmgate.hosts': 'ok.example.com',
    'swarmgate.health.path': '/up',
  });
  const bad = service('bad', {
    ...enabled,
    'swarmgate.hosts': 'bad.example.com',
    'swarmgate.health.path': '/up',
    'swarmgate.health.timeout': '15s',
  });
  const table = translate(snapshot([ok, bad]), INGRESS);
  assert.deepEqual(routeOf(table, 'ok/default').health, { path: '/up', intervalMs: 10_000, timeoutMs: 2000 });
  const d = onlyDiagnostic(table);
  assert.deepEqual(
    [d.service, d.label, d.value, d.route],
    ['bad', 'swarmgate.health.timeout', '15s', 'bad/default'],
  );
  assert.match(d.message, /must not exceed health\.interval \(10000 ms\)/);
});

test('sticky cookie settings without sticky=cookie: warned, route served without stickiness', () => {
  const web = service('web', {
    ...enabled,
    'swarmgate.hosts': 'shop.example.com',
    'swarmgate.sticky.cookie': 'SID',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.equal(routeOf(table, 'web/default').sticky, null);
  const d = onlyDiagnostic(table);
  assert.deepEqual([d.severity, d.label, d.value], ['warning', 'swarmgate.sticky.cookie', 'SID']);
  assert.match(d.message, /unless its sticky label is `cookie`/);
});

test('values are trimmed; the diagnostic shows the value as written', () => {
  const web = service('web', {
    ...enabled,
    'swarmgate.hosts': ' shop.example.com ',
    'swarmgate.priority': ' x ',
  });
  const d = onlyDiagnostic(translate(snapshot([web]), INGRESS));
  assert.equal(d.value, ' x ');
  assert.equal(d.message, 'swarmgate.priority must be a whole number; route web/default is not served');
});
