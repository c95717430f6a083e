import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptions, runsPart, variantId } from '../../../bench/options.js';

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

test('the scale rows run in a full run, alone with --only scale, and not with --skip-scale or another --only', () => {
  assert.equal(runsPart(parseOptions([], {}), 'scale'), true);
  assert.equal(runsPart(parseOptions(['--quick'], {}), 'scale'), true);
  assert.equal(runsPart(parseOptions(['--only', 'scale'], {}), 'macro'), false);
  assert.equal(runsPart(parseOptions(['--only', 'scale'], {}), 'scale'), true);
  assert.equal(runsPart(parseOptions(['--only', 'macro'], {}), 'scale'), false);
  assert.equal(runsPart(parseOptions(['--skip-scale'], {}), 'scale'), false);
  assert.equal(runsPart(parseOptions([], { BENCH_SKIP_SCALE: '1' }), 'scale'), false);
  assert.equal(runsPart(parseOptions(['--skip-scale'], {}), 'macro'), true);
  assert.throws(() => parseOptions(['--only', 'all'], {}), /--only must be micro, macro or scale/);
});
