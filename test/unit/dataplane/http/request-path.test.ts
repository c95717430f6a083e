import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizePath } from '../../../../src/dataplane/http/request-path.js';

/** Each `[sent, routed]` pair: the target as the client sent it, the path and query routed and forwarded. */
function assertRoutedAs(cases: [string, string][]): void {
  for (const [sent, routed] of cases) assert.equal(normalizePath(sent), routed, sent);
}

test('request paths without dot segments or percent-encodings are returned as they are', () => {
  for (const path of [
    '/',
    '/shop/cart?id=7',
    '/static/app.js',
    '/a//b',
    '/.well-known/x',
    '*',
    '/x?q=/../%zz',
  ]) {
    assert.equal(normalizePath(path), path);
  }
});

test('dot segments are removed as RFC 3986 §5.2.4 does, never above the root; the query is kept, a fragment dropped', () => {
  assertRoutedAs([
    ['/api/../admin', '/admin'],
    ['/a/./b', '/a/b'],
    ['/a/b/..', '/a/'],
    ['/a/b/.', '/a/b/'],
    ['/..', '/'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/a/..b/.c', '/a/..b/.c'],
    ['/a//../b', '/a/b'],
    ['/api/../admin?next=/../x', '/admin?next=/../x'],
    ['/a/b#frag', '/a/b'],
    ['/admin#/../public', '/admin'],
    ['/x?q=1#f', '/x?q=1'],
  ]);
});

test('encoded unreserved characters are decoded before dot segments go; other encodings are upper-cased', () => {
  assertRoutedAs([
    ['/a/%2e%2E/b', '/b'],
    ['/a/%2E/b', '/a/b'],
    ['/%7Euser/%41%62c', '/~user/Abc'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/api/queues/%2f/orders', '/api/queues/%2F/orders'],
    ['/npm/@scope%2Fname', '/npm/@scope%2Fname'],
    ['/a%20b?x=%2e%2e', '/a%20b?x=%2e%2e'],
  ]);
});

test('malformed and NUL encodings, and dot segments that an encoded slash would make, are refused', () => {
  const cases: [string, RegExp][] = [
    ['/a%zz', /invalid percent-encoding/],
    ['/a%4', /invalid percent-encoding/],
    ['/a%', /invalid percent-encoding/],
    ['/file%00.txt', /NUL/],
    ['/api/..%2Fadmin', /encoded slash or a backslash/],
    ['/api/%2e%2e%2fadmin', /encoded slash or a backslash/],
    ['/api%5C..%5Cadmin', /encoded slash or a backslash/],
    ['/api/..\\admin', /encoded slash or a backslash/],
  ];
  for (const [sent, reason] of cases) {
    const result = normalizePath(sent);
    assert.ok(typeof result !== 'string', `${sent} was accepted as ${String(result)}`);
    assert.match(result.reason, reason, sent);
  }
});

test('a dot segment with parameters, which Tomcat and Spring resolve as a dot segment, is refused', () => {
  for (const sent of [
    '/api/..;/admin',
    '/api/%2e%2e;/admin',
    '/api/..;jsessionid=1/admin',
    '/api/..%3B/admin',
    '/api/.%2E%3bx/admin',
    '/api/.;/admin',
    '/api/..;',
    '/api\\..;\\admin',
  ]) {
    const result = normalizePath(sent);
    assert.ok(typeof result !== 'string', `${sent} was accepted as ${String(result)}`);
    assert.match(result.reason, /dot segment with parameters/, sent);
  }
  assertRoutedAs([
    ['/api/...;/x', '/api/...;/x'],
    ['/api/..a;/x', '/api/..a;/x'],
    ['/api/a..;/x', '/api/a..;/x'],
    ['/api/x;..', '/api/x;..'],
  ]);
});
