import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stickyCookieValue } from '../../../../src/dataplane/sticky/cookie-value.js';
import { StickyMap } from '../../../../src/dataplane/sticky/sticky-map.js';

const secret = Buffer.from('s3cret');
const upstreams = [{ id: 'task:a:80' }, { id: 'task:b:80' }];

test('maps each upstream cookie value to the upstream, and back', () => {
  const map = new StickyMap(secret, 'shop/default', upstreams);
  for (const u of upstreams) {
    const value = stickyCookieValue(secret, 'shop/default', u.id);
    assert.equal(map.lookup(value), u);
    assert.equal(map.valueOf(u.id), value);
  }
});

test('unknown values, values of another route and unknown ids find nothing', () => {
  const map = new StickyMap(secret, 'shop/default', upstreams);
  assert.equal(map.lookup('not-a-value'), undefined);
  assert.equal(map.lookup(stickyCookieValue(secret, 'shop/admin', 'task:a:80')), undefined);
  assert.equal(map.valueOf('task:zzz:80'), undefined);
});

test('two maps built from the same secret agree (stable across table versions)', () => {
  const v1 = new StickyMap(secret, 'shop/default', upstreams);
  const v2 = new StickyMap(Buffer.from('s3cret'), 'shop/default', [{ id: 'task:b:80' }, { id: 'task:c:80' }]);
  assert.equal(v2.valueOf('task:b:80'), v1.valueOf('task:b:80'));
  assert.ok(Object.isFrozen(v1));
});
