import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { rawExchange, startGateway } from './harness.js';

/** An origin that records the requests it got and how many ran at once. */
async function countingOrigin(t: Parameters<typeof startServer>[0]) {
  const seen: string[] = [];
  let running = 0;
  let most = 0;
  const origin = await startServer(t, (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    running += 1;
    most = Math.max(most, running);
    req.resume();
    // Answers after a beat, so requests started at once would overlap.
    setTimeout(() => {
      running -= 1;
      res.end(`answer to ${req.url}`);
    }, 20);
  });
  const routes = table(
    [route('web/default', 'web', { hosts: ['app.example.com'] })],
    [backend('web', [upstream('task:web1:80', { port: origin.port })])],
  );
  return { seen, routes, most: () => most };
}

test('pipelined requests run one at a time and are answered in order', async (t) => {
  const origin = await countingOrigin(t);
  const { port } = await startGateway(t, origin.routes);
  const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: app.example.com\r\n\r\n`;
  const { reply } = await rawExchange(
    port,
    `${get('/1')}POST /2 HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 3\r\n\r\nabc${get('/3')}`.replace(
      /\r\n\r\n$/,
      '\r\nConnection: close\r\n\r\n',
    ),
  );
  const bodies = [...reply.matchAll(/answer to (\/\d)/g)].map((m) => m[1]);
  assert.deepEqual(bodies, ['/1', '/2', '/3']);
  assert.deepEqual(origin.seen, ['GET /1', 'POST /2', 'GET /3']);
  assert.equal(origin.most(), 1, 'the upstream never had two of them at once');
});

test('a request pipelined behind an answer that closes the connection is never processed', async (t) => {
  const origin = await countingOrigin(t);
  const { port, logs } = await startGateway(t, origin.routes);
  // A path refused as ambiguous is answered 400 with connection: close.
  const { reply, closed } = await rawExchange(
    port,
    'GET /a/..;/b HTTP/1.1\r\nHost: app.example.com\r\n\r\n' +
      'POST /order HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 5\r\n\r\nhello',
  );
  assert.ok(closed);
  assert.match(reply, /^HTTP\/1\.1 400 /);
  assert.equal((reply.match(/HTTP\/1\.1 /g) ?? []).length, 1, 'one answer: the 400');
  assert.deepEqual(origin.seen, [], 'the POST behind it never reached the upstream (RFC 9112 §9.6)');
  assert.equal(logs.filter((l) => l.msg === 'pipelined request dropped: its connection closes').length, 1);
});
