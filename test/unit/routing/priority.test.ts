import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPriority } from '../../../src/routing/priority.js';
import { translate } from '../../../src/routing/translate.js';
import { INGRESS, service, snapshot } from './snapshot-builder.js';
import { routeOf } from './table-query.js';

test('an exact host outranks a wildcard whatever the paths', () => {
  assert.ok(
    defaultPriority(['a.example.com'], '/') > defaultPriority(['*.example.com'], `/${'x'.repeat(500)}`),
  );
});

test('for the same kind of host, the longer path wins', () => {
  assert.ok(defaultPriority(['a.example.com'], '/api/v2') > defaultPriority(['a.example.com'], '/api'));
  assert.ok(defaultPriority(['*.example.com'], '/api') > defaultPriority(['*.example.com'], '/'));
});

test('the formula: 10000 when every host is exact, plus the path length', () => {
  assert.equal(defaultPriority(['a.example.com', 'www.a.example.com'], '/api'), 10_004);
  assert.equal(defaultPriority(['*.example.com'], '/'), 1);
  assert.equal(defaultPriority(['a.example.com', '*.example.com'], '/'), 1);
  assert.equal(defaultPriority(['a.example.com'], `/${'x'.repeat(20_000)}`), 19_999);
});

test('a route listing a longer extra host does not outrank a more specific path on a shared host', () => {
  const site = defaultPriority(['example.com', 'www.some-long-alias.example.com'], '/');
  const api = defaultPriority(['example.com'], '/api');
  assert.ok(api > site);
});

test('an explicit priority replaces the default, also below it', () => {
  const web = service('web', {
    'swarmgate.enable': 'true',
    'swarmgate.port': '80',
    'swarmgate.hosts': 'shop.example.com',
    'swarmgate.priority': '-3',
    'swarmgate.routes.api.hosts': 'shop.example.com',
    'swarmgate.routes.api.path': '/api',
    'swarmgate.routes.top.hosts': '*.example.com',
    'swarmgate.routes.top.priority': '20000',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.equal(routeOf(table, 'web/default').priority, -3);
  assert.equal(routeOf(table, 'web/api').priority, 10_004);
  assert.equal(routeOf(table, 'web/top').priority, 20_000);
});
