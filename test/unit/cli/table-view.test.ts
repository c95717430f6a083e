import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTable } from '../../../src/cli/table-view.js';
import { backend, route, table, upstream } from '../dataplane/upstreams/table-fixtures.js';

test('renderTable shows every route, or with maxRoutes the first ones and how many are left', () => {
  const routes = [1, 2, 3].map((i) => route(`s${i}/default`, `s${i}`, { hosts: [`s${i}.example.com`] }));
  const backends = [1, 2, 3].map((i) => backend(`s${i}`, [upstream(`task:s${i}:80`)]));
  const full = renderTable(table(routes, backends, 'v1'));
  assert.match(full, /^routing table v1: 3 route\(s\)/);
  assert.match(full, /s3\.example\.com\//);
  const short = renderTable(table(routes, backends, 'v1'), 2);
  assert.match(short, /^routing table v1: 3 route\(s\)/);
  assert.match(short, /s2\.example\.com\//);
  assert.doesNotMatch(short, /s3\.example\.com/);
  assert.match(short, /\.\.\. and 1 more route\(s\)/);
});
