import assert from 'node:assert/strict';
import { test } from 'node:test';
import { translate } from '../../../src/routing/translate.js';
import { INGRESS, service, snapshot } from './snapshot-builder.js';
import { backendOf, onlyDiagnostic, routeIds, routeOf } from './table-query.js';

const serviceWide = {
  'swarmgate.enable': 'true',
  'swarmgate.port': '8080',
  'swarmgate.sticky': 'cookie',
  'swarmgate.sticky.cookie': 'SESSION',
  'swarmgate.sticky.max-age': '1h',
  'swarmgate.balance': 'round-robin',
  'swarmgate.health.path': '/healthz',
  'swarmgate.health.interval': '5s',
  'swarmgate.tls': 'true',
  'swarmgate.redirect-https': 'true',
};
const defaultRoute = {
  'swarmgate.hosts': 'shop.example.com',
  'swarmgate.path': '/shop',
  'swarmgate.strip-path': 'true',
  'swarmgate.priority': '42',
};

test('named routes inherit the service-wide keys', () => {
  const web = service('web', {
    ...serviceWide,
    ...defaultRoute,
    'swarmgate.routes.api.hosts': 'api.example.com',
  });
  const table = translate(snapshot([web]), INGRESS);
  const api = routeOf(table, 'web/api');
  assert.deepEqual(api.sticky, { cookie: 'SESSION', maxAge: 3600 });
  assert.equal(api.balance, 'round-robin');
  assert.deepEqual(api.health, { path: '/healthz', intervalMs: 5000, timeoutMs: 2000 });
  assert.equal(api.tls, true);
  assert.equal(api.redirectHttps, true);
  assert.equal(backendOf(table, 'web/api').port, 8080);
});

test('named routes do not inherit hosts, path, strip-path or priority', () => {
  const web = service('web', {
    ...serviceWide,
    ...defaultRoute,
    'swarmgate.routes.api.hosts': 'api.example.com',
  });
  const table = translate(snapshot([web]), INGRESS);
  const api = routeOf(table, 'web/api');
  assert.equal(api.path, '/');
  assert.equal(api.stripPath, false);
  assert.equal(api.priority, 10_001);
  const main = routeOf(table, 'web/default');
  assert.deepEqual([main.path, main.stripPath, main.priority], ['/shop', true, 42]);
});

test('a named route overrides what it would inherit', () => {
  const web = service('web', {
    ...serviceWide,
    'swarmgate.routes.api.hosts': 'api.example.com',
    'swarmgate.routes.api.sticky': 'none',
    'swarmgate.routes.api.port': '9000',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.equal(routeOf(table, 'web/api').sticky, null);
  assert.equal(backendOf(table, 'web/api').port, 9000);
});

test('an invalid service-wide label drops every route that uses it, not the ones overriding it', () => {
  const web = service('web', {
    'swarmgate.enable': 'true',
    'swarmgate.port': 'http',
    'swarmgate.hosts': 'shop.example.com',
    'swarmgate.routes.api.hosts': 'api.example.com',
    'swarmgate.routes.admin.hosts': 'admin.example.com',
    'swarmgate.routes.admin.port': '80',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.deepEqual(routeIds(table), ['web/admin']);
  assert.deepEqual(
    table.diagnostics.map((d) => [d.code, d.label, d.value, d.route]),
    [
      ['SG_ERR_LABEL_INVALID', 'swarmgate.port', 'http', 'web/api'],
      ['SG_ERR_LABEL_INVALID', 'swarmgate.port', 'http', 'web/default'],
    ],
  );
});

test('unscoped path, strip-path and priority without swarmgate.hosts are reported as unused', () => {
  const web = service('web', {
    'swarmgate.enable': 'true',
    'swarmgate.port': '80',
    'swarmgate.path': '/shop',
    'swarmgate.routes.api.hosts': 'api.example.com',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.equal(routeOf(table, 'web/api').path, '/');
  const d = onlyDiagnostic(table);
  assert.deepEqual([d.severity, d.label, d.value], ['warning', 'swarmgate.path', '/shop']);
  assert.match(d.message, /named routes do not inherit it \(use swarmgate\.routes\.<name>\.path\)/);
});

test('inherited sticky or health details are not reported on a route that opts out', () => {
  const web = service('web', {
    ...serviceWide,
    ...defaultRoute,
    'swarmgate.routes.plain.hosts': 'plain.example.com',
    'swarmgate.routes.plain.sticky': 'none',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.equal(routeOf(table, 'web/plain').sticky, null);
  assert.deepEqual(table.diagnostics, []);
});
