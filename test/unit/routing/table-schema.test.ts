import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRoutingTable } from '../../../src/routing/table-schema.js';
import { backend, route, table } from '../dataplane/upstreams/table-fixtures.js';

const withPath = (path: string) => table([route('web/default', 'web', { path })], [backend('web', [])]);

test('a route path in a table takes the normal form of label paths', () => {
  const paths = ['/shop/', '/%7euser/caf%c3%a9', '/'].map((path) => {
    const parsed = parseRoutingTable(withPath(path));
    assert.ok(parsed.ok, JSON.stringify(parsed));
    return parsed.table.routes[0]!.path;
  });
  assert.deepEqual(paths, ['/shop', '/~user/caf%C3%A9', '/']);
});

test('a route path that no request could match makes the table invalid, naming the route', () => {
  for (const path of ['shop', '/a/../b', '/a%zz', '/a?b=1']) {
    const parsed = parseRoutingTable(withPath(path));
    assert.equal(parsed.ok, false, path);
    if (!parsed.ok)
      assert.match(parsed.errors.join('\n'), /^routes\.0\.path: expected a path starting with `\/`/m, path);
  }
});
