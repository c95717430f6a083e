import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UploadSlots } from '../../../../src/dataplane/http/upload-slots.js';

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
