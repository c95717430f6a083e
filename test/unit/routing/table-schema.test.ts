import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseRoutingTable } from '../../../src/routing/table-schema.js';
import { fixturePath } from '../../support/paths.js';
import { backend, route, table, upstream } from '../dataplane/upstreams/table-fixtures.js';

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

/** The problems a table has, one line each (fails the test when it is valid). */
function errorsOf(input: unknown): string {
  const parsed = parseRoutingTable(input);
  assert.equal(parsed.ok, false, 'expected the table to be refused');
  return parsed.ok ? '' : parsed.errors.join('\n');
}

const web = (fields: Parameters<typeof route>[2] = {}) =>
  table([route('web/default', 'web', fields)], [backend('web', [upstream('task:a@127.0.0.1:9')])]);

test('route hosts follow the hosts label: no port, no spaces, no bare `*`; lower-cased and de-duplicated', () => {
  assert.match(
    errorsOf(web({ hosts: ['b.test:8080'] })),
    /^routes\.0\.hosts\.0: expected a host without a port \(`b\.test:8080` has one; hosts match whatever port/m,
  );
  for (const host of ['*', 'foo bar', '', 'a.test,b.test']) {
    assert.match(errorsOf(web({ hosts: [host] })), /^routes\.0\.hosts\.0: expected /m, host);
  }
  const parsed = parseRoutingTable(web({ hosts: ['Shop.Example.COM', 'shop.example.com', '*.example.com'] }));
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.deepEqual(parsed.table.routes[0]!.hosts, ['shop.example.com', '*.example.com']);
});

test('a sticky cookie name is an HTTP token, so nothing can be added to Set-Cookie', () => {
  for (const cookie of ['x; Domain=evil.example; Path=/admin', 'x\r\nX-Injected: 1', '', 'a=b']) {
    assert.match(
      errorsOf(web({ sticky: { cookie } })),
      /^routes\.0\.sticky\.cookie: expected a cookie name of 1 to 128 letters, digits/m,
      JSON.stringify(cookie),
    );
  }
  assert.ok(parseRoutingTable(web({ sticky: { cookie: 'sg_shop', maxAge: 60 } })).ok);
});

test('a health check path is an origin-form target of visible ASCII, and its timings fit timers', () => {
  const check = (path: string, intervalMs = 1_000, timeoutMs = 500) =>
    web({ health: { path, intervalMs, timeoutMs } });
  for (const path of ['/hc HTTP/1.1\r\nHost: evil\r\n\r\nGET /smuggled', 'health', '/a#b', '/a b']) {
    assert.match(
      errorsOf(check(path)),
      /^routes\.0\.health\.path: expected a path starting with `\/`/m,
      path,
    );
  }
  for (const path of ['/hc\u010d\u010aX-Injected:1', '/santé']) {
    assert.match(errorsOf(check(path)), /^routes\.0\.health\.path: expected .*non-ASCII characters/m, path);
  }
  assert.ok(parseRoutingTable(check('/healthz?full=1')).ok);
  assert.match(
    errorsOf(check('/h', 25 * 86_400_000, 500)),
    /^routes\.0\.health\.intervalMs: expected at most/m,
  );
  assert.match(
    errorsOf(check('/h', 1_000, 2_000)),
    /^routes\.0\.health\.timeoutMs: expected at most intervalMs/m,
  );
  assert.match(errorsOf(check('/h', 1.5, 1)), /^routes\.0\.health\.intervalMs: /m);
});

test('an upstream address is its host and port, and its host is an IP address or a host name', () => {
  const withUpstream = (fields: Parameters<typeof upstream>[1]) =>
    table([route('web/default', 'web')], [backend('web', [upstream('u1', fields)])]);
  assert.match(
    errorsOf(withUpstream({ host: '127.0.0.1', port: 9, address: '127.0.0.1:10' })),
    /^backends\.0\.upstreams\.0\.address: expected "127\.0\.0\.1:9" \(host:port\)$/m,
  );
  assert.match(
    errorsOf(withUpstream({ host: '::1', port: 9, address: '::1:9' })),
    /^backends\.0\.upstreams\.0\.address: expected "\[::1\]:9"/m,
  );
  for (const host of ['evil\r\nX: 1', '[::1]', 'a b', '']) {
    assert.match(
      errorsOf(withUpstream({ host, address: `${host}:9` })),
      /^backends\.0\.upstreams\.0\.host: expected an IP address/m,
      host,
    );
  }
  for (const host of ['::1', '10.0.0.7', 'tasks.shop_web', 'localhost'])
    assert.ok(parseRoutingTable(withUpstream({ host })).ok, host);
});

test('ids are unique, an upstream id names one address, and routes point at a backend', () => {
  const a = upstream('up-1', { port: 23001 });
  assert.match(
    errorsOf(table([route('web/default', 'web')], [backend('web', [a, upstream('up-1', { port: 23002 })])])),
    /^backends\.0\.upstreams\.1\.id: upstream id "up-1" is listed twice in backend "web"$/m,
  );
  assert.match(
    errorsOf(
      table(
        [route('web/default', 'web'), route('api/default', 'api', { hosts: ['api.test'] })],
        [backend('web', [a]), backend('api', [upstream('up-1', { port: 23002 })])],
      ),
    ),
    /^backends\.1\.upstreams\.0\.id: upstream id "up-1" names 127\.0\.0\.1:23002 here but 127\.0\.0\.1:23001 at backends\.0\.upstreams\.0\.id; an upstream id stands for one address$/m,
  );
  assert.ok(
    parseRoutingTable(
      table(
        [route('web/default', 'web'), route('api/default', 'api', { hosts: ['api.test'] })],
        [backend('web', [a]), backend('api', [a])],
      ),
    ).ok,
    'two backends may share an upstream',
  );
  assert.match(
    errorsOf(table([route('web/default', 'web')], [backend('web', [a]), backend('web', [])])),
    /^backends\.1\.id: backend id "web" is also backends\.0's; backend ids must be unique$/m,
  );
  assert.match(
    errorsOf(
      table(
        [route('web/default', 'web'), route('web/default', 'web', { hosts: ['b.test'] })],
        [backend('web', [a])],
      ),
    ),
    /^routes\.1\.id: route id "web\/default" is also routes\.0's; route ids must be unique$/m,
  );
  assert.match(
    errorsOf(table([route('web/default', 'nope')], [backend('web', [a])])),
    /^routes\.0\.backend: unknown backend "nope"$/m,
  );
});

test('two routes that claim the same host, path and priority make the table invalid, as labels drop both', () => {
  const routes = [
    route('web/default', 'web', { hosts: ['a.test', 'b.test'], priority: 5 }),
    route('api/default', 'web', { hosts: ['B.test'], path: '/', priority: 5 }),
  ];
  assert.match(
    errorsOf(table(routes, [backend('web', [])])),
    /^routes\.1: route "api\/default" claims host b\.test, path \/ and priority 5, as routes\.0 \("web\/default"\) does; give them different hosts, paths or priorities$/m,
  );
  routes[1] = { ...routes[1]!, priority: 6 };
  assert.ok(parseRoutingTable(table(routes, [backend('web', [])])).ok, 'another priority is no conflict');
});

test('every table translated from labels (the golden cases) is a valid table file, unchanged', () => {
  const dir = fixturePath('golden');
  const cases = readdirSync(dir).filter((name) => existsSync(join(dir, name, 'expected.json')));
  assert.ok(cases.length >= 5);
  for (const name of cases) {
    const translated: unknown = JSON.parse(readFileSync(join(dir, name, 'expected.json'), 'utf8'));
    const parsed = parseRoutingTable(translated);
    assert.ok(parsed.ok, `${name}: ${JSON.stringify(parsed)}`);
    assert.deepEqual(parsed.table, translated, name);
  }
});
