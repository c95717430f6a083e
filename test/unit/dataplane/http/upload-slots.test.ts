import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientKey, UploadSlots } from '../../../../src/dataplane/http/upload-slots.js';

test('an IPv6 client counts by its /64; an IPv4 client and a non-address by themselves', () => {
  assert.equal(clientKey('2001:db8:1:2::10'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:0db8:0001:0002:ffff:0:0:20'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
  assert.equal(clientKey('::ffff:192.0.2.1'), '0:0:0:0::/64');
  assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(clientKey('192.0.2.7'), '192.0.2.7');
  assert.equal(clientKey('unknown'), 'unknown');
});

test('upload slots are capped per client and come back when given', () => {
  const slots = new UploadSlots(2);
  const a = slots.take('192.0.2.7');
  const b = slots.take('192.0.2.7');
  assert.ok(a !== undefined && b !== undefined);
  assert.equal(slots.take('192.0.2.7'), undefined, 'the third is refused');
  assert.notEqual(slots.take('192.0.2.8'), undefined, 'another client has its own');
  slots.give(a);
  assert.notEqual(slots.take('192.0.2.7'), undefined, 'a slot given back can be taken again');
  assert.equal(slots.take('192.0.2.7'), undefined, 'but only the one');
  const unlimited = new UploadSlots(0);
  for (let i = 0; i < 100; i++) assert.notEqual(unlimited.take('192.0.2.7'), undefined);
});
