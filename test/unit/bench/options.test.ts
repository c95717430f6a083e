import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptions, variantId } from '../../../bench/options.js';

test('a full run measures 64 and 256 connections, keep-alive and Connection: close, on both layouts', () => {
  const ids = parseOptions([], {}).variants.map(variantId);
  assert.deepEqual(ids.sort(), [
    '1core-256-close',
    '1core-256-keepalive',
    '1core-64-close',
    '1core-64-keepalive',
    '2core-256-close',
    '2core-256-keepalive',
    '2core-64-close',
    '2core-64-keepalive',
  ]);
});

test('a quick run keeps the variants its goals need', () => {
  const ids = parseOptions(['--quick'], {}).variants.map(variantId);
  assert.deepEqual(ids, ['1core-64-keepalive', '1core-64-close', '2core-64-keepalive']);
  assert.deepEqual(parseOptions([], { BENCH_QUICK: '1' }).variants.map(variantId), ids);
});
