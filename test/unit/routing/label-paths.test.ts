import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseHealthPath, parsePathPrefix } from '../../../src/routing/labels/paths.js';
import { rule, value } from './parsed-assert.js';

describe('path prefix', () => {
  test('the root stays `/`', () => {
    assert.equal(value(parsePathPrefix('/')), '/');
  });
  test('drops trailing slashes', () => {
    assert.equal(value(parsePathPrefix('/shop/')), '/shop');
    assert.equal(value(parsePathPrefix('/shop/api///')), '/shop/api');
    assert.equal(value(parsePathPrefix('///')), '/');
  });
  test('takes percent-encodings to the normal form requests are routed in', () => {
    assert.equal(value(parsePathPrefix('/%7euser/caf%c3%a9')), '/~user/caf%C3%A9');
    assert.equal(value(parsePathPrefix('/queues/%2f')), '/queues/%2F');
    assert.equal(value(parsePathPrefix('/café/ü')), '/caf%C3%A9/%C3%BC', 'non-ASCII as clients send it');
  });
  test('rejects what is not a plain prefix', () => {
    for (const bad of [
      'shop',
      '/shop?x=1',
      '/shop#top',
      '/my shop',
      '/a//b',
      '/a/../b',
      '/.',
      '',
      '/a/%2e%2E/b',
      '/a%zz',
      '/a%00',
      '/lone\ud800',
      '/api/..;/admin',
      '/api/.%3bx',
    ]) {
      assert.match(rule(parsePathPrefix(bad)), /a path starting with `\/`/, bad);
    }
  });
  test('health path allows a query but no fragment or spaces', () => {
    assert.equal(value(parseHealthPath('/healthz?full=1')), '/healthz?full=1');
    assert.match(rule(parseHealthPath('healthz')), /starting with `\/`/);
    assert.match(rule(parseHealthPath('/h#x')), /without `#`/);
    // U+010A/U+010D would go out as LF/CR in the latin1 request line: a smuggled header.
    assert.match(rule(parseHealthPath('/hc\u010d\u010aX-Injected: 1')), /non-ASCII/);
    assert.match(rule(parseHealthPath('/caf\u00e9')), /non-ASCII/);
    assert.equal(value(parseHealthPath('/caf%C3%A9')), '/caf%C3%A9');
  });
});
