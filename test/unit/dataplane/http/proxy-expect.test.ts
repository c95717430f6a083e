import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RequestEndEvent, requestEndChannel } from '../../../../src/dataplane/http/diagnostics.js';
import { startServer, waitFor } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { channelMessages, rawExchange, rawSocket, readUntil, startGateway } from './harness.js';

/** A gateway in front of a backend that answers with the body it got. */
async function echoBodyGateway(t: Parameters<typeof startServer>[0], seen: string[] = []) {
  const web = await startServer(t, async (req, res) => {
    seen.push(req.url ?? '');
    let body = '';
    for await (const chunk of req) body += chunk;
    res.end(`got ${body}`);
  });
  return startGateway(
    t,
    table([route('web/default', 'web')], [backend('web', [upstream('task:web1:80', { port: web.port })])]),
  );
}

test('an HTTP/1.0 client that sends Expect: 100-continue gets no 100 Continue, only its answer', async (t) => {
  const { port } = await echoBodyGateway(t);
  const { reply, closed } = await rawExchange(
    port,
    'POST / HTTP/1.0\r\nHost: app.example.com\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello',
  );
  assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/, 'no 1xx before the answer (RFC 9110 §15.2)');
  assert.ok(reply.endsWith('\r\n\r\ngot hello'), reply);
  assert.ok(closed);
});

test('an Expect other than 100-continue gets 417 SG_ERR_EXPECTATION_FAILED, logged and counted, and reaches no upstream', async (t) => {
  const seen: string[] = [];
  const { port, logs } = await echoBodyGateway(t, seen);
  const ends = channelMessages<RequestEndEvent>(t, requestEndChannel.name as string);
  const client = await rawSocket(t, port);
  client.write('GET /fancy HTTP/1.1\r\nHost: app.example.com\r\nExpect: x-fancy\r\n\r\n');
  const refused = (await readUntil(client, (r) => r.includes('(SG_ERR_EXPECTATION_FAILED)\n'))).toString();
  assert.match(refused, /^HTTP\/1\.1 417 Expectation Failed\r\n/);
  client.write('GET /next HTTP/1.1\r\nHost: app.example.com\r\n\r\n');
  const next = await readUntil(client, (r) => r.includes('got '));
  assert.match(next.toString(), /^HTTP\/1\.1 200 /, 'a bodyless request keeps its connection');
  assert.deepEqual(seen, ['/next']);
  assert.ok(logs.some((l) => l.code === 'SG_ERR_EXPECTATION_FAILED' && l.url === '/fancy'));
  await waitFor(() => ends.length === 2, 'the request-end events');
  assert.deepEqual(
    ends.map((e) => [e.url, e.status, e.errorCode]),
    [
      ['/fancy', 417, 'SG_ERR_EXPECTATION_FAILED'],
      ['/next', 200, undefined],
    ],
  );
  const withBody = await rawExchange(
    port,
    'POST / HTTP/1.1\r\nHost: app.example.com\r\nExpect: 200-ok\r\nContent-Length: 5\r\n\r\nhello',
  );
  assert.match(withBody.reply, /^HTTP\/1\.1 417 /);
  assert.ok(withBody.closed, 'its unread body closes the connection');
});
