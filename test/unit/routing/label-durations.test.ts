import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDuration, parseMaxAge } from '../../../src/routing/labels/durations.js';
import { rule, value } from './parsed-assert.js';

describe('durations', () => {
  test('units ms, s, m, h, d, combinable', () => {
    assert.equal(value(parseDuration('500ms')), 500);
    assert.equal(value(parseDuration('5s')), 5000);
    assert.equal(value(parseDuration('1m30s')), 90_000);
    assert.equal(value(parseDuration('2h')), 7_200_000);
  });
  test('at most 24 days: a node timer fires after 1 ms beyond 2^31-1 ms', () => {
    assert.equal(value(parseDuration('24d')), 24 * 86_400_000);
    assert.match(rule(parseDuration('25d')), /at most 24d/);
    assert.match(rule(parseDuration('24d1ms')), /at most 24d/);
  });
  test('a bare number, zero or an unknown unit is rejected', () => {
    for (const bad of ['5', '0s', '5 s', '5sec', '1.5s', '-1s']) {
      assert.match(rule(parseDuration(bad)), /a positive duration/, bad);
    }
  });
  test('max-age takes seconds or a duration in whole seconds', () => {
    assert.equal(value(parseMaxAge('3600')), 3600);
    assert.equal(value(parseMaxAge('30m')), 1800);
    assert.equal(value(parseMaxAge('12h')), 43_200);
    assert.equal(value(parseMaxAge('7d')), 604_800);
    for (const bad of ['0', '1500ms', 'forever']) {
      assert.match(rule(parseMaxAge(bad)), /a positive number of seconds/, bad);
    }
  });
});
