import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { findCookie } from '../../../../src/dataplane/sticky/cookie-header.js';

test('finds a cookie anywhere in the header', () => {
  assert.equal(findCookie('sg_a=1', 'sg_a'), '1');
  assert.equal(findCookie('x=0; sg_a=abc-_; y=2', 'sg_a'), 'abc-_');
  assert.equal(findCookie('x=0;sg_a=v', 'sg_a'), 'v');
  assert.equal(findCookie('x=0;  \tsg_a = v ;', 'sg_a'), undefined);
  assert.equal(findCookie('x=0;  \tsg_a= v ;', 'sg_a'), 'v');
  assert.equal(findCookie('sg_a="quoted"', 'sg_a'), 'quoted');
  assert.equal(findCookie('sg_a=', 'sg_a'), '');
});

test('does not match a name that only contains or ends with the wanted one', () => {
  assert.equal(findCookie('xsg_a=1; sg_ab=2', 'sg_a'), undefined);
  assert.equal(findCookie('other=sg_a=1', 'sg_a'), undefined);
  assert.equal(findCookie('xsg_a=1; sg_a=3', 'sg_a'), '3');
  assert.equal(findCookie('SG_A=1', 'sg_a'), undefined);
});

test('missing header, empty header and first-occurrence rule', () => {
  assert.equal(findCookie(undefined, 'sg_a'), undefined);
  assert.equal(findCookie('', 'sg_a'), undefined);
  assert.equal(findCookie('sg_a=1; sg_a=2', 'sg_a'), '1');
});

test('agrees with a split-based parser on generated headers', () => {
  const name = fc.constantFrom('sg_a', 'sg_ab', 'a', 'xsg_a', 'session');
  const value = fc.stringMatching(/^[A-Za-z0-9_=-]{0,8}$/);
  const pair = fc.tuple(name, value);
  fc.assert(
    fc.property(fc.array(pair, { maxLength: 6 }), fc.constantFrom('; ', ';'), (pairs, sep) => {
      const header = pairs.map(([n, v]) => `${n}=${v}`).join(sep);
      const expected = pairs.find(([n]) => n === 'sg_a')?.[1];
      assert.equal(findCookie(header, 'sg_a'), expected);
    }),
  );
});
