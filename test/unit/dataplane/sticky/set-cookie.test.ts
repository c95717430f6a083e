import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSetCookie } from '../../../../src/dataplane/sticky/set-cookie.js';

test('a session cookie over http is HttpOnly, SameSite=Lax, scoped to the route path', () => {
  assert.equal(
    buildSetCookie({ name: 'sg_1a2b3c4d', value: 'v', path: '/shop', secure: false }),
    'sg_1a2b3c4d=v; Path=/shop; HttpOnly; SameSite=Lax',
  );
});

test('https adds Secure and a configured lifetime adds Max-Age', () => {
  assert.equal(
    buildSetCookie({ name: 'sg_x', value: 'v', path: '/', secure: true, maxAge: 3600 }),
    'sg_x=v; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=3600',
  );
});

test('an empty path falls back to /', () => {
  assert.equal(
    buildSetCookie({ name: 'n', value: 'v', path: '', secure: false }),
    'n=v; Path=/; HttpOnly; SameSite=Lax',
  );
});
