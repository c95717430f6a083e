import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseHosts } from '../../../src/routing/labels/hosts.js';
import { rule, value } from './parsed-assert.js';

describe('hosts', () => {
  test('trims, lower-cases, de-duplicates and sorts', () => {
    assert.deepEqual(value(parseHosts(' Shop.Example.com ,www.example.com,shop.example.com,')), [
      'shop.example.com',
      'www.example.com',
    ]);
  });
  test('accepts a leading wildcard label', () => {
    assert.deepEqual(value(parseHosts('*.example.com')), ['*.example.com']);
  });
  test('rejects a port and says hosts match any port', () => {
    assert.match(rule(parseHosts('example.com:8080')), /without a port.*`example\.com:8080`/);
  });
  test('rejects malformed names', () => {
    for (const bad of [
      'exa mple.com',
      '-a.example.com',
      'a..example.com',
      'a.*.example.com',
      '*',
      '*.',
      'ex_ample.com',
      `${'a'.repeat(64)}.com`,
    ]) {
      assert.match(rule(parseHosts(bad)), /host names made of letters/, bad);
    }
  });
  test('rejects an empty list', () => {
    assert.match(rule(parseHosts(' , ')), /at least one host/);
  });
});
