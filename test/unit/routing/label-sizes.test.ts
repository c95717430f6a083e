import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSize } from '../../../src/routing/labels/sizes.js';
import { rule, value } from './parsed-assert.js';

test('sizes: bytes, or k/m/g binary suffixes, case-insensitive', () => {
  assert.equal(value(parseSize('1024')), 1024);
  assert.equal(value(parseSize('512k')), 512 * 1024);
  assert.equal(value(parseSize('10M')), 10 * 1024 * 1024);
  assert.equal(value(parseSize('2g')), 2 * 1024 ** 3);
  for (const bad of ['0', '-1', '1.5m', '10 m', '10mb', 'lots', '']) {
    assert.match(rule(parseSize(bad)), /a positive size in bytes/, bad);
  }
});
