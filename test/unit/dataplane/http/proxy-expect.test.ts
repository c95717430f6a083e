import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { rawExchange, startGateway } from './harness.js';

/** A gateway in front of a backend that answers with the body it got. */
async function echoBodyGateway(t: Parameters<typeof startServer>[0]) {
  const web = await startServer(t, async (req, res) => {
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
