import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { defaultCookieName } from '../../../src/routing/cookie-name.js';
import { translate } from '../../../src/routing/translate.js';
import { BORDER, INGRESS, service, snapshot } from './snapshot-builder.js';
import { routeOf } from './table-query.js';

const sticky = {
  'swarmgate.enable': 'true',
  'swarmgate.hosts': 'shop.example.com',
  'swarmgate.port': '80',
  'swarmgate.sticky': 'cookie',
  'swarmgate.routes.api.hosts': 'api.example.com',
};
const ports = [{ protocol: 'tcp' as const, targetPort: 80, publishMode: 'host' as const }];

test('the default name is sg_ plus 8 hex digits of sha256(role|route id)', () => {
  const expected = `sg_${createHash('sha256').update('border|shop/default').digest('hex').slice(0, 8)}`;
  assert.equal(defaultCookieName('border', 'shop/default'), expected);
  assert.match(expected, /^sg_[0-9a-f]{8}$/);
});

test('border and ingress tiers never share a cookie name, nor do two routes', () => {
  const web = service('web', sticky, { ports });
  const border = translate(snapshot([web]), BORDER);
  const ingress = translate(snapshot([web]), INGRESS);
  const names = [
    routeOf(border, 'web/default').sticky?.cookie,
    routeOf(border, 'web/api').sticky?.cookie,
    routeOf(ingress, 'web/default').sticky?.cookie,
    routeOf(ingress, 'web/api').sticky?.cookie,
  ];
  assert.equal(new Set(names).size, 4);
  assert.equal(names[0], defaultCookieName('border', 'web/default'));
});

test('an explicit cookie name and max-age are used as given; no max-age means a session cookie', () => {
  const web = service('web', {
    ...sticky,
    'swarmgate.routes.api.sticky.cookie': 'JSESSIONID',
    'swarmgate.routes.api.sticky.max-age': '7d',
  });
  const table = translate(snapshot([web]), INGRESS);
  assert.deepEqual(routeOf(table, 'web/api').sticky, { cookie: 'JSESSIONID', maxAge: 604_800 });
  assert.deepEqual(Object.keys(routeOf(table, 'web/default').sticky ?? {}), ['cookie']);
});

test('sticky none and no sticky label mean no stickiness', () => {
  const web = service('web', { ...sticky, 'swarmgate.sticky': 'none' });
  assert.equal(routeOf(translate(snapshot([web]), INGRESS), 'web/default').sticky, null);
});
