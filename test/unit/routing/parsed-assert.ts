import assert from 'node:assert/strict';
import type { Parsed } from '../../../src/routing/labels/parsed.js';

/** The value of an accepted label value (fails the test on a rejection). */
export function value<T>(parsed: Parsed<T>): T {
  assert.ok(parsed.ok, `expected a value, got: ${parsed.ok ? '' : parsed.expected}`);
  return parsed.value;
}

/** The rule a rejected label value breaks (fails the test on an acceptance). */
export function rule(parsed: Parsed<unknown>): string {
  assert.ok(!parsed.ok, `expected a rejection, got ${JSON.stringify(parsed.ok && parsed.value)}`);
  return parsed.expected;
}
