import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeHost, wildcardParent } from '../../../../src/dataplane/router/host.js';

test('normalizeHost lower-cases and drops the port and a trailing dot', () => {
  assert.equal(normalizeHost('Shop.Example.COM.:8443'), 'shop.example.com');
  assert.equal(normalizeHost('example.com'), 'example.com');
  assert.equal(normalizeHost('[2001:DB8::1]:443'), '[2001:db8::1]');
  assert.equal(normalizeHost('[::1]'), '[::1]');
  assert.equal(normalizeHost(''), undefined);
  assert.equal(normalizeHost(':80'), undefined);
  assert.equal(normalizeHost(undefined), undefined);
});

test('wildcardParent drops exactly the first label', () => {
  assert.equal(wildcardParent('a.example.com'), 'example.com');
  assert.equal(wildcardParent('localhost'), undefined);
  assert.equal(wildcardParent('[::1]'), undefined);
});
