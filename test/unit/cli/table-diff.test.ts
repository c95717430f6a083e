import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffTables } from '../../../src/cli/table-diff.js';
import type { RoutesJson } from '../../../src/cli/table-view.js';

type Upstream = RoutesJson['routes'][number]['upstreams'][number];

const upstream = (address: string, state = 'ready', task = `t-${address}`): Upstream => ({
  address,
  task,
  slot: 1,
  node: 'node1',
  state,
});

function view(upstreams: Upstream[], extraRoute = false): RoutesJson {
  const route = (id: string, ups: Upstream[]) => ({
    id,
    service: id.split('/')[0] ?? id,
    hosts: ['a.test'],
    path: '/',
    stripPath: false,
    priority: 1,
    upstream: { mode: 'hostport', port: 80 },
    sticky: null,
    upstreams: ups,
  });
  return {
    version: 'v',
    routes: [route('a/default', upstreams), ...(extraRoute ? [route('b/default', [])] : [])],
    diagnostics: [],
  };
}

test('reports added, removed and changed upstreams of a route', () => {
  const before = view([upstream('10.0.0.1:30001'), upstream('10.0.0.2:30001')]);
  const after = view([upstream('10.0.0.1:30001', 'draining'), upstream('10.0.0.3:30001')]);
  assert.deepEqual(diffTables(before, after), [
    '~ a/default  10.0.0.1:30001 draining node node1 slot 1',
    '+ a/default  10.0.0.3:30001 ready node node1 slot 1',
    '- a/default  10.0.0.2:30001 ready node node1 slot 1',
  ]);
});

test('reports routes that appear and disappear', () => {
  const one = view([]);
  const two = view([], true);
  assert.deepEqual(diffTables(one, two), ['+ route b/default a.test/ [hostport:80]']);
  assert.deepEqual(diffTables(two, one), ['- route b/default']);
});

test('an identical table has no lines', () => {
  const v = view([upstream('10.0.0.1:30001')]);
  assert.deepEqual(diffTables(v, structuredClone(v)), []);
});
