import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stickyCookieValue } from '../../../../src/dataplane/sticky/cookie-value.js';

const secret = Buffer.from('0123456789abcdef0123456789abcdef');

test('the value is 16 bytes of base64url and reveals neither route, upstream nor address', () => {
  fc.assert(
    fc.property(fc.ipV4(), fc.nat(65535), fc.string({ minLength: 1 }), (ip, port, routeId) => {
      const value = stickyCookieValue(secret, routeId, `${ip}:${port}`);
      assert.match(value, /^[A-Za-z0-9_-]{22}$/);
      assert.ok(!value.includes(ip));
    }),
  );
  const value = stickyCookieValue(secret, 'shop/default', 'task:x1y2:8080');
  for (const part of ['shop', 'x1y2', '8080']) assert.ok(!value.includes(part));
});

test('the same secret, route and upstream give the same value (every replica agrees)', () => {
  const again = Buffer.from(secret);
  assert.equal(
    stickyCookieValue(secret, 'shop/default', 'task:a:80'),
    stickyCookieValue(again, 'shop/default', 'task:a:80'),
  );
});

test('the value differs per route, per upstream and per secret', () => {
  const base = stickyCookieValue(secret, 'shop/default', 'task:a:80');
  assert.notEqual(stickyCookieValue(secret, 'shop/admin', 'task:a:80'), base);
  assert.notEqual(stickyCookieValue(secret, 'shop/default', 'task:b:80'), base);
  assert.notEqual(stickyCookieValue(Buffer.from('another secret'), 'shop/default', 'task:a:80'), base);
  assert.notEqual(stickyCookieValue(secret, 'ab', 'c'), stickyCookieValue(secret, 'a', 'bc'));
});
