import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { test } from 'node:test';
import { gatewayStack } from './support/gateway-stack.js';
import { httpRequest } from './support/http-client.js';
import { startLoad } from './support/http-load.js';
import { rawExchange, slowloris } from './support/http-raw.js';

const HEADERS_TIMEOUT_MS = 2_000;

/** Responses in a raw reply: status lines at the start or after a previous response. */
function statusLines(reply: string): string[] {
  return reply.match(/HTTP\/1\.1 \d{3}/g) ?? [];
}

// Hostile and malformed input on raw sockets, while a well-behaved client keeps using the same gateway.
test('gateway bad input: malformed, oversized, smuggling and slowloris requests are refused; others keep working', async (t) => {
  const { stack, gw } = await gatewayStack(t, 'gateway-routing.yml', 'gwbad', [
    '--headers-timeout',
    `${HEADERS_TIMEOUT_MS / 1000}s`,
  ]);
  await gw.waitForRoute(`${stack}_a/default`);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const normal = startLoad(() => httpRequest(gw.http, { host: 'a.test', path: '/normal', agent }), {
    pauseMs: 10,
  });
  t.after(() => normal.stop());

  await t.test('a malformed request line or head is answered 400 and the connection closed', async (st) => {
    const cases = [
      'HELLO\r\n\r\n',
      'GET / HTTP/1.1 trailing\r\nhost: a.test\r\n\r\n',
      'GET / HTTP/9.Z\r\nhost: a.test\r\n\r\n',
      'GET /a\x01b HTTP/1.1\r\nhost: a.test\r\n\r\n',
      'GET / HTTP/1.1\r\nhost: a.test\r\nbad header\r\n\r\n',
    ];
    for (const text of cases) {
      const { reply, closed } = await rawExchange(gw.port, text);
      assert.match(reply, /^HTTP\/1\.1 400 /, `${JSON.stringify(text)} → 400`);
      assert.match(reply, /SG_ERR_BAD_REQUEST/, 'the gateway names its error code');
      assert.ok(closed, `${JSON.stringify(text)}: connection closed`);
    }
    const noHost = await rawExchange(gw.port, 'GET / HTTP/1.1\r\n\r\n');
    assert.match(noHost.reply, /^HTTP\/1\.1 400 /, 'a request without Host → 400');
    assert.match(noHost.reply, /SG_ERR_BAD_REQUEST/);
    assert.ok(noHost.closed);
    st.diagnostic(`${cases.length + 1} malformed requests answered 400`);
  });

  await t.test('a request head over 16 KiB is answered 431; one under it is served', async () => {
    const big = await rawExchange(
      gw.port,
      `GET / HTTP/1.1\r\nhost: a.test\r\nx-big: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
    );
    assert.match(big.reply, /^HTTP\/1\.1 431 /);
    assert.match(big.reply, /SG_ERR_HEADERS_TOO_LARGE/);
    assert.ok(big.closed);
    const manyHeaders = Array.from({ length: 40 }, (_, i) => `x-h${i}: ${'b'.repeat(500)}\r\n`).join('');
    const many = await rawExchange(gw.port, `GET / HTTP/1.1\r\nhost: a.test\r\n${manyHeaders}\r\n`);
    assert.match(many.reply, /^HTTP\/1\.1 431 /, '40 headers of 500 bytes (20 KB) → 431');
    const fits = await httpRequest(gw.http, { host: 'a.test', headers: { 'x-big': 'c'.repeat(12 * 1024) } });
    assert.equal(fits.status, 200, 'a 12 KiB header is below the limit');
  });

  await t.test(
    'Content-Length with Transfer-Encoding is refused with 400 and the connection closed',
    async (st) => {
      const smuggled = 'GET /smuggled HTTP/1.1\r\nhost: a.test\r\n\r\n';
      const cases = [
        `POST / HTTP/1.1\r\nhost: a.test\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
        `POST / HTTP/1.1\r\nhost: a.test\r\ntransfer-encoding: chunked\r\ncontent-length: 44\r\n\r\n0\r\n\r\n${smuggled}`,
        `POST / HTTP/1.1\r\nhost: a.test\r\ncontent-length: 0\r\ncontent-length: 41\r\n\r\n${smuggled}`,
      ];
      for (const text of cases) {
        const { reply, closed } = await rawExchange(gw.port, text);
        assert.match(reply, /^HTTP\/1\.1 400 /, JSON.stringify(text));
        assert.ok(closed, 'the connection is closed');
        assert.deepEqual(statusLines(reply), ['HTTP/1.1 400'], 'the smuggled request got no response');
        assert.doesNotMatch(reply, /x-whoami-name/i, 'nothing reached a backend');
      }
      st.diagnostic(`${cases.length} smuggling attempts answered 400 and closed`);
    },
  );

  await t.test(
    `slowloris clients are cut off after the ${HEADERS_TIMEOUT_MS} ms headers timeout`,
    async (st) => {
      const okBefore = normal.ok;
      const clients = Array.from({ length: 10 }, () =>
        slowloris(gw.port, {
          start: 'GET / HTTP/1.1\r\nhost: a.test\r\n',
          drip: 'x-drip: 1\r\n',
          intervalMs: 200,
          limitMs: HEADERS_TIMEOUT_MS * 5,
        }),
      );
      const results = await Promise.all(clients);
      const okDuring = normal.ok - okBefore;
      for (const { closed, elapsedMs, reply, drips } of results) {
        assert.ok(closed, `cut off (still open after ${elapsedMs} ms and ${drips} drips)`);
        assert.ok(elapsedMs >= HEADERS_TIMEOUT_MS * 0.9, `not before the timeout (${elapsedMs} ms)`);
        assert.match(reply, /^HTTP\/1\.1 408 /, 'told why before the close');
      }
      const times = results.map((r) => r.elapsedMs);
      st.diagnostic(
        `10 slowloris clients cut off after ${Math.min(...times)}-${Math.max(...times)} ms; ${okDuring} normal 200s meanwhile`,
      );
      assert.ok(okDuring > 0, 'the normal client was served while the slowloris clients dripped');
    },
  );

  await t.test('throughout, the well-behaved client got only 200s', async (st) => {
    const { ok, failures } = await normal.stop();
    st.diagnostic(`normal client: ${ok} responses 200, ${failures.length} failures`);
    assert.deepEqual(failures.slice(0, 10), []);
    assert.ok(ok > 0);
  });
});
