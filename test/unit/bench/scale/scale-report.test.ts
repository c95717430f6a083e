import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scaleSection } from '../../../../bench/scale/scale-report.js';
import { scaleResult, withFloor } from './fixture.js';

const rowsOf = (markdown: string, heading: string) => {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`### ${heading}`));
  return lines.slice(start + 4, lines.indexOf('', start + 3));
};

test('the scale section has a table per row, with the numbers the goals use', () => {
  const markdown = scaleSection(scaleResult());
  assert.match(markdown, /^## Scale\n/);
  assert.deepEqual(rowsOf(markdown, '10,000 idle'), [
    '| nginx | 10,000 | 10,000 | 20.0 | 39.5 | 2.0 | 1.00× | – |',
    '| swarmgate | 10,000 | 10,000 | 20.0 | 68.8 | 5.0 | 2.50× | – |',
  ]);
  assert.deepEqual(rowsOf(markdown, '10,000 WebSockets'), [
    '| nginx | 2 | 10,000 | 10,000 | 30,000 / 30,000 | 20.0 | 117.7 | 10.0 | 0.010 | 10.3 | 0.25 | 1.00 | 3.00 |',
    '| swarmgate | 2 | 10,000 | 10,000 | 30,000 / 30,000 | 20.0 | 264.1 | 25.0 | 0.050 | 51.7 | 0.50 | 2.00 | 6.00 |',
  ]);
  assert.deepEqual(rowsOf(markdown, '1 GiB bodies'), [
    '| upload | nginx | 200 | 500 | 2.05 | 40.0 | 40.0 | 0.0 | 1.00× | – |',
    '| upload | swarmgate | 200 | 400 | 2.56 | 40.0 | 60.0 | 20.0 | 0.80× | – |',
    '| download | nginx | 200 | 600 | 1.71 | 40.0 | 40.0 | 0.0 | 1.00× | – |',
    '| download | swarmgate | 200 | 450 | 2.28 | 40.0 | 70.0 | 30.0 | 0.75× | – |',
  ]);
  const swap = markdown.slice(markdown.indexOf('### 10,000 routes'));
  assert.match(swap, /\| nginx \| 200,000 \| 12 \| 12 \| 5\.00 \| 6\.00 \| 5\.0 \| 1\.20× \| 12\.0 \| – \|/);
  assert.match(
    swap,
    /\| swarmgate \| 200,000 \| 0 \| 0 \| 4\.00 \| 6\.00 \| 5\.0 \| 1\.50× \| 12\.0 \| 850 \|/,
  );
});

test('issue 17: the floor (a bare node:http proxy) gets its rows, and every row its ratio to it', () => {
  const scale = withFloor(scaleResult());
  const markdown = scaleSection(scale);
  assert.match(markdown, /`node-http` is the floor/);
  assert.deepEqual(rowsOf(markdown, '10,000 idle'), [
    '| nginx | 10,000 | 10,000 | 20.0 | 39.5 | 2.0 | 1.00× | 0.50× |',
    '| node-http | 10,000 | 10,000 | 20.0 | 59.1 | 4.0 | 2.00× | 1.00× |',
    '| swarmgate | 10,000 | 10,000 | 20.0 | 68.8 | 5.0 | 2.50× | 1.25× |',
  ]);
  assert.deepEqual(rowsOf(markdown, '1 GiB bodies').slice(2), [
    '| download | nginx | 200 | 600 | 1.71 | 40.0 | 40.0 | 0.0 | 1.00× | 1.20× |',
    '| download | swarmgate | 200 | 450 | 2.28 | 40.0 | 70.0 | 30.0 | 0.75× | 0.90× |',
    '| download | node-http | 200 | 500 | 2.05 | 40.0 | 75.0 | 35.0 | 0.83× | 1.00× |',
  ]);
});

test('notes and failures follow the tables; no section when the rows did not run', () => {
  const scale = scaleResult();
  scale.notes.push('nginx skipped: not installed or not built');
  scale.failures.push({ row: 'swap', target: 'swarmgate', error: 'the new table was not\nserved' });
  const markdown = scaleSection(scale);
  assert.match(markdown, /\n- nginx skipped: not installed or not built\n/);
  assert.match(markdown, /\n- \*\*swarmgate failed\*\* \(swap\): `the new table was not served`$/);
  assert.equal(scaleSection(undefined), '');
});
