import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidHost } from '../../../../src/dataplane/http/host-value.js';
import {
  formatListenAddress,
  isLoopback,
  parseListenAddress,
} from '../../../../src/dataplane/http/listen-address.js';
import { resolveTarget } from '../../../../src/dataplane/http/request-target.js';
import { plainAddress, TrustedProxies } from '../../../../src/dataplane/http/trusted-proxies.js';
import { upgradeResponseHead } from '../../../../src/dataplane/http/upgrade-response-head.js';
import { classifyUpstreamError } from '../../../../src/dataplane/http/upstream-errors.js';

test('listen addresses: IPv4 and bracketed IPv6, with clear errors otherwise', () => {
  assert.deepEqual(parseListenAddress('0.0.0.0:80'), { host: '0.0.0.0', port: 80 });
  assert.deepEqual(parseListenAddress('[::]:8080'), { host: '::', port: 8080 });
  assert.equal(formatListenAddress({ host: '::1', port: 9180 }), '[::1]:9180');
  for (const bad of ['80', ':80', 'localhost:80', '::1:80', '1.2.3.4:70000', '1.2.3.4:x', '[::1]']) {
    assert.throws(
      () => parseListenAddress(bad),
      (err: { code?: string }) => err.code === 'SG_ERR_CONFIG',
      bad,
    );
  }
  assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('::ffff:127.0.0.1'));
  assert.ok(!isLoopback('0.0.0.0') && !isLoopback('::') && !isLoopback('10.0.0.1'));
});

test('trusted proxies: IPv4 and IPv6 CIDRs and single addresses, IPv4-mapped peers', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', 'fd00::/8', '192.0.2.7']);
  assert.ok(proxies.trusts('10.255.0.1'));
  assert.ok(proxies.trusts('::ffff:10.1.1.1'));
  assert.ok(proxies.trusts('fd12::1'));
  assert.ok(proxies.trusts('192.0.2.7'));
  assert.ok(!proxies.trusts('192.0.2.8'));
  assert.ok(!proxies.trusts('11.0.0.1'));
  assert.ok(!proxies.trusts('not an ip'));
  assert.ok(!new TrustedProxies([]).trusts('127.0.0.1'));
  for (const bad of ['10.0.0.0/33', '10.0.0.0/', 'fd00::/129', 'example.com/8']) {
    assert.throws(
      () => new TrustedProxies([bad]),
      (err: { code?: string }) => err.code === 'SG_ERR_CONFIG',
      bad,
    );
  }
  assert.equal(plainAddress('::ffff:1.2.3.4'), '1.2.3.4');
  assert.equal(plainAddress('::1'), '::1');
});

test('request targets: origin-form, absolute-form, asterisk; anything else is refused', () => {
  assert.deepEqual(resolveTarget('/a?b', 'h'), { host: 'h', pathAndQuery: '/a?b' });
  assert.deepEqual(resolveTarget('http://Other.example:81/x?y=1', 'h'), {
    host: 'other.example:81',
    pathAndQuery: '/x?y=1',
  });
  assert.deepEqual(resolveTarget('*', 'h'), { host: 'h', pathAndQuery: '*' });
  assert.equal(resolveTarget('example.com:443', 'h'), undefined);
  assert.equal(resolveTarget('http://user@example.com/', 'h'), undefined, 'userinfo is refused');
});

test('request targets: an absolute-form authority that is empty or not a plain host is refused, as sent', () => {
  // The WHATWG parser would read each of these as host a.test.
  for (const target of [
    'http:///a.test/x',
    'http:////a.test/x',
    'https:///a.test',
    'http://@a.test/x',
    'http://:@a.test/x',
    'http://a.test\\@b.test/x',
    'http://?x',
    'http://',
  ]) {
    assert.equal(resolveTarget(target, 'h'), undefined, target);
  }
  assert.deepEqual(resolveTarget('HTTP://[::1]:8080?q', 'h'), { host: '[::1]:8080', pathAndQuery: '/?q' });
});

test('Host values: names, IP literals and a port pass; paths, userinfo, spaces do not', () => {
  for (const ok of [
    'example.com',
    'EXAMPLE.com:8080',
    '10.0.0.1:80',
    '[::1]',
    '[2001:db8::1]:443',
    'a_b.test',
  ])
    assert.equal(isValidHost(ok), true, ok);
  for (const bad of [
    'example.com/admin',
    'user@example.com',
    'a b',
    'a.test:80:80',
    'a.test:123456',
    '[::1',
    '',
  ])
    assert.equal(isValidHost(bad), false, bad);
});

test('upgrade response heads: cookie added to a 101; a refusal gets the fields of any response and connection: close', () => {
  const switched = upgradeResponseHead(
    101,
    'Switching Protocols',
    ['Upgrade', 'websocket', 'Connection', 'Upgrade'],
    'sg=1',
    false,
  );
  assert.equal(
    switched?.head.toString(),
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nset-cookie: sg=1\r\n\r\n',
  );
  const fields = ['Connection', 'keep-alive', 'Keep-Alive', 'x', 'Content-Length', '0'];
  const refused = upgradeResponseHead(403, 'Forbidden', fields, undefined, false);
  assert.deepEqual(refused, {
    head: Buffer.from('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nconnection: close\r\n\r\n'),
    chunked: false,
  });
  const framedTwice = ['Transfer-Encoding', 'chunked', 'Content-Length', '50'];
  assert.deepEqual(
    upgradeResponseHead(403, 'Forbidden', framedTwice, undefined, false),
    {
      head: Buffer.from('HTTP/1.1 403 Forbidden\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n'),
      chunked: true,
    },
    'a chunked refusal goes on chunked anew, without the Content-Length beside the coding',
  );
  assert.equal(upgradeResponseHead(403, 'Forbidden', framedTwice, undefined, true)?.chunked, false, 'HEAD');
  assert.equal(
    upgradeResponseHead(401, '', ['Transfer-Encoding', 'gzip'], undefined, false),
    undefined,
    'a body in a coding other than chunked is not passed on',
  );
});

test('upstream errors: before the request is on a socket everything is a retryable connect failure', () => {
  assert.deepEqual(classifyUpstreamError({ code: 'ECONNREFUSED' }, 'connect'), {
    code: 'SG_ERR_UPSTREAM_CONNECT',
    failure: 'connect',
    retry: 'always',
    connectionOnly: false,
  });
  assert.equal(classifyUpstreamError({ code: 'EHOSTUNREACH' }, 'connect').retry, 'always');
  const connectTimeout = classifyUpstreamError({ code: 'SG_UPSTREAM_CONNECT_TIMEOUT' }, 'connect');
  assert.equal(connectTimeout.code, 'SG_ERR_UPSTREAM_TIMEOUT');
  assert.equal(connectTimeout.failure, 'connect');
  assert.equal(
    classifyUpstreamError({ code: 'SG_UPSTREAM_CLOSED' }, 'awaiting-response').retry,
    'bodyless-idempotent',
  );
  assert.equal(classifyUpstreamError({ code: 'ECONNRESET' }, 'streaming-response').retry, 'never');
  const silent = classifyUpstreamError({ code: 'SG_UPSTREAM_RESPONSE_TIMEOUT' }, 'awaiting-response');
  assert.deepEqual(silent, {
    code: 'SG_ERR_UPSTREAM_TIMEOUT',
    failure: 'timeout',
    retry: 'never',
    connectionOnly: false,
  });
  assert.deepEqual(
    classifyUpstreamError({ code: 'SG_UPSTREAM_STALE_CONNECTION' }, 'awaiting-response'),
    { code: 'SG_ERR_UPSTREAM_RESET', failure: undefined, retry: 'bodyless-idempotent', connectionOnly: true },
    'a pooled connection the upstream closed as idle: resent (bodyless idempotent), to it too, not blamed',
  );
  assert.equal(
    classifyUpstreamError({ code: 'SG_UPSTREAM_PROTOCOL' }, 'awaiting-response').code,
    'SG_ERR_UPSTREAM_PROTOCOL',
  );
  assert.equal(
    classifyUpstreamError({ code: 'ERR_INVALID_CHAR' }, 'streaming-response').code,
    'SG_ERR_UPSTREAM_PROTOCOL',
  );
  assert.deepEqual(classifyUpstreamError({ code: 'SG_UPSTREAM_POOL_CLOSED' }, 'connect'), {
    code: 'SG_ERR_UPSTREAM_CONNECT',
    failure: undefined,
    retry: 'always',
    connectionOnly: false,
  });
  assert.equal(
    classifyUpstreamError({ code: 'SG_ERR_BODY_TOO_LARGE' }, 'awaiting-response').failure,
    undefined,
  );
  assert.deepEqual(
    classifyUpstreamError({ code: 'SG_UPSTREAM_UNREACHABLE' }, 'awaiting-response'),
    {
      code: 'SG_ERR_UPSTREAM_UNREACHABLE',
      failure: undefined,
      retry: 'bodyless-idempotent',
      connectionOnly: false,
    },
    'a removed upstream whose host is gone: the request may have arrived, so only a bodyless idempotent one goes elsewhere',
  );
  assert.equal(
    classifyUpstreamError({ code: 'SG_UPSTREAM_UNREACHABLE' }, 'connect').retry,
    'always',
    'still connecting or queued: nothing went out',
  );
});
