import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appendForwardingHeaders } from '../../../../src/dataplane/http/forwarding.js';
import { RequestHead } from '../../../../src/dataplane/http/request-head.js';
import { responseHeaders } from '../../../../src/dataplane/http/response-head.js';
import { TrustedProxies } from '../../../../src/dataplane/http/trusted-proxies.js';

test('RequestHead keeps end-to-end headers in order and drops hop-by-hop ones, including those Connection lists', () => {
  const head = new RequestHead([
    'Host',
    'app.example.com',
    'Connection',
    'keep-alive, X-Hop',
    'X-Hop',
    '1',
    'Keep-Alive',
    'timeout=5',
    'TE',
    'trailers',
    'Trailer',
    'x',
    'Proxy-Authorization',
    'Basic x',
    'Upgrade',
    'websocket',
    'Expect',
    '100-continue',
    'Transfer-Encoding',
    'chunked',
    'Cookie',
    'a=1',
    'cookie',
    'b=2',
    'Accept',
    '*/*',
  ]);
  assert.deepEqual(head.headers, [
    'Host',
    'app.example.com',
    'Cookie',
    'a=1',
    'cookie',
    'b=2',
    'Accept',
    '*/*',
  ]);
  assert.equal(head.host, 'app.example.com');
  assert.equal(head.cookie, 'a=1; b=2');
  assert.equal(head.upgrade, 'websocket');
  assert.equal(head.chunked, true);
  assert.equal(head.hasBody, true);
});

test('Connection never removes the framing fields or Host: listing them would strip a body of its length', () => {
  const head = new RequestHead([
    'Host',
    'app.example.com',
    'Connection',
    'content-length, Host, transfer-encoding, x-hop',
    'Content-Length',
    '5',
    'X-Hop',
    '1',
  ]);
  assert.deepEqual(head.headers, ['Host', 'app.example.com', 'Content-Length', '5']);
});

test('RequestHead reads Content-Length; no length and no chunking means no body', () => {
  assert.equal(new RequestHead(['Content-Length', '12']).hasBody, true);
  assert.equal(new RequestHead(['Content-Length', '0']).hasBody, false);
  assert.equal(new RequestHead(['Accept', '*/*']).hasBody, false);
});

test('forwarding headers: an IPv6 peer is bracketed and quoted in Forwarded', () => {
  const head = new RequestHead(['Host', 'example.com', 'X-Forwarded-For', '1.2.3.4']);
  const proxies = new TrustedProxies([]);
  const proto = appendForwardingHeaders(
    head.headers,
    head.forwarding,
    head.host,
    { peer: '2001:db8::1', trusted: false, scheme: 'https' },
    proxies,
  );
  assert.equal(proto, 'https');
  assert.deepEqual(head.headers.slice(2), [
    'x-forwarded-for',
    '2001:db8::1',
    'x-forwarded-proto',
    'https',
    'x-forwarded-host',
    'example.com',
    'x-forwarded-port',
    '443',
    'x-real-ip',
    '2001:db8::1',
    'forwarded',
    'for="[2001:db8::1]";host=example.com;proto=https',
  ]);
});

/** The value of field `name` in a flat `[name, value, ...]` list. */
function fieldValue(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}

test('a trusted X-Forwarded-Proto decides whether the client is on https', () => {
  const head = new RequestHead(['Host', 'example.com', 'X-Forwarded-Proto', 'HTTPS, http']);
  const proxies = new TrustedProxies(['10.0.0.0/8']);
  const hop = { peer: '10.0.0.2', trusted: true, scheme: 'http' as const };
  assert.equal(appendForwardingHeaders(head.headers, head.forwarding, head.host, hop, proxies), 'https');
  assert.equal(
    fieldValue(head.headers, 'x-forwarded-port'),
    '443',
    'no port in Host: the default of the scheme the client used',
  );
});

test('X-Forwarded-Port is the port in Host, IPv6 literals included, else the scheme default', () => {
  const portFor = (host: string): string | undefined => {
    const head = new RequestHead(['Host', host]);
    const hop = { peer: '192.0.2.7', trusted: false, scheme: 'http' as const };
    appendForwardingHeaders(head.headers, head.forwarding, head.host, hop, new TrustedProxies([]));
    return fieldValue(head.headers, 'x-forwarded-port');
  };
  assert.equal(portFor('example.com:8080'), '8080');
  assert.equal(portFor('[2001:db8::1]:8443'), '8443');
  assert.equal(portFor('[2001:db8::1]'), '80');
  assert.equal(portFor('example.com'), '80');
  assert.equal(portFor('example.com:'), '80');
});

test('responseHeaders drops hop-by-hop headers and appends the sticky cookie after the upstream ones', () => {
  const raw = [
    'Content-Type',
    'text/plain',
    'Connection',
    'keep-alive, X-Private',
    'X-Private',
    'secret',
    'Transfer-Encoding',
    'chunked',
    'Keep-Alive',
    'timeout=5',
    'Set-Cookie',
    'app=1',
  ];
  assert.deepEqual(responseHeaders(raw, 'sg=abc; Path=/', 200), [
    'Content-Type',
    'text/plain',
    'Set-Cookie',
    'app=1',
    'set-cookie',
    'sg=abc; Path=/',
  ]);
  assert.deepEqual(responseHeaders(['A', 'b'], undefined, 200), ['A', 'b']);
  const both = ['Content-Length', '9', 'transfer-encoding', 'Chunked', 'A', 'b'];
  assert.deepEqual(responseHeaders(both, undefined, 200), ['A', 'b'], 'chunked: the length goes');
  assert.deepEqual(responseHeaders(['Content-Length', '3', 'A', 'b'], undefined, 204), ['A', 'b'], '204');
  assert.deepEqual(responseHeaders(['Content-Length', '3'], undefined, 304), ['Content-Length', '3'], '304');
  assert.deepEqual(
    responseHeaders(['Content-Length', '5', 'A', 'b', 'content-length', '5'], undefined, 200),
    ['Content-Length', '5', 'A', 'b'],
    'a repeated length goes on once',
  );
  assert.deepEqual(
    responseHeaders(['Content-Length', '5 , 5'], undefined, 200),
    ['Content-Length', '5'],
    'a list',
  );
  assert.equal(responseHeaders(['Transfer-Encoding', 'gzip, chunked'], undefined, 200), undefined);
  assert.equal(
    responseHeaders(['Transfer-Encoding', 'gzip', 'Transfer-Encoding', 'chunked'], undefined, 200),
    undefined,
  );
});

test('Host field lines are counted; replaceHost sets the one the upstream gets, or adds it', () => {
  const twice = new RequestHead(['Host', 'a.example', 'host', 'b.example']);
  assert.equal(twice.hostFields, 2);
  const head = new RequestHead(['HOST', 'a.example', 'Accept', '*/*']);
  assert.equal(head.hostFields, 1);
  head.replaceHost('b.example:81');
  assert.equal(head.host, 'b.example:81');
  assert.deepEqual(head.headers, ['HOST', 'b.example:81', 'Accept', '*/*']);
  const none = new RequestHead(['Accept', '*/*']);
  none.replaceHost('c.example');
  assert.deepEqual(none.headers, ['Accept', '*/*', 'host', 'c.example']);
});

test('forwarding headers spelt with underscores are dropped; other underscore names pass', () => {
  const head = new RequestHead([
    'Host',
    'example.com',
    'X_Forwarded_For',
    '6.6.6.6',
    'x-real_ip',
    '6.6.6.6',
    'X_FORWARDED_PROTO',
    'https',
    'X_Custom',
    'kept',
  ]);
  assert.deepEqual(head.headers, ['Host', 'example.com', 'X_Custom', 'kept']);
  assert.equal(head.forwarding.xForwardedFor, undefined, 'an alias is not read as the header either');
});
