import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { Gateway } from '../../../../src/dataplane/gateway.js';
import { AdminServer, isLoopbackHost } from '../../../../src/dataplane/http/admin-server.js';
import { UpstreamRegistry } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import { startServer } from '../upstreams/servers.js';
import { backend, registryOptions, route, table, upstream } from '../upstreams/table-fixtures.js';
import { send as sendAny, startGateway, type TestRequest } from './harness.js';

const silent = pino({ level: 'silent' });

/** A request to the admin API as a local tool sends it: `Host: localhost`. */
const send = (port: number, req: TestRequest = {}) => sendAny(port, { host: 'localhost', ...req });

async function startAdmin(
  t: Parameters<typeof startServer>[0],
  options: Partial<ConstructorParameters<typeof AdminServer>[0]>,
  source: ConstructorParameters<typeof AdminServer>[0]['source'],
) {
  const admin = new AdminServer({ listen: '127.0.0.1:0', logger: silent, source, ...options });
  const { port } = await admin.listen();
  t.after(() => admin.close());
  return port;
}

test('healthz always, readyz once a table is loaded, routes and status with runtime state', async (t) => {
  const web = await startServer(t, (_req, res) => res.end('ok'));
  const { gateway } = await startGateway(t, undefined);
  const port = await startAdmin(
    t,
    { discoveryStatus: () => ({ source: 'controller', connected: true }) },
    gateway,
  );

  assert.equal((await send(port, { path: '/healthz' })).status, 200);
  const notReady = await send(port, { path: '/readyz' });
  assert.equal(notReady.status, 503);
  assert.equal(JSON.parse((await send(port, { path: '/api/routes' })).body), null);

  gateway.setTable(
    table(
      [route('web/default', 'web')],
      [backend('web', [upstream('task:web1:80', { port: web.port, state: 'draining' })])],
      'v7',
    ),
  );
  assert.equal((await send(port, { path: '/readyz' })).status, 200);
  const routes = JSON.parse((await send(port, { path: '/api/routes' })).body);
  assert.equal(routes.version, 'v7');
  assert.equal(routes.routes[0].id, 'web/default');
  const runtime = routes.backends[0].upstreams[0].runtime;
  assert.equal(runtime.healthy, true);
  assert.equal(runtime.inflight, 0);
  assert.equal(runtime.state, 'draining');
  assert.equal(typeof runtime.drainingSince, 'number');

  const status = JSON.parse((await send(port, { path: '/api/status' })).body);
  assert.deepEqual(status, {
    tableVersion: 'v7',
    routes: 1,
    inflight: 0,
    connections: 0,
    closing: false,
    discovery: { source: 'controller', connected: true },
  });
  assert.equal((await send(port, { path: '/nope' })).status, 404);
  assert.equal((await send(port, { path: '/healthz', method: 'POST' })).status, 405);
});

test('a method other than GET or HEAD is answered 405 with the Allow header, on every path', async (t) => {
  const { gateway } = await startGateway(t, table([], [], 'v1'));
  const port = await startAdmin(t, { metrics: async () => 'up 1\n' }, gateway);
  for (const [method, path] of [
    ['POST', '/healthz'],
    ['DELETE', '/api/routes'],
    ['PUT', '/metrics'],
    ['POST', '/nope'],
  ] as const) {
    const res = await send(port, { path, method });
    assert.equal(res.status, 405, `${method} ${path}`);
    assert.equal(res.headers.allow, 'GET, HEAD', `${method} ${path}`);
  }
});

test('readyz waits for the entrypoints to be bound, not only for a table', async (t) => {
  const gateway = new Gateway({
    http: ['127.0.0.1:0'],
    registry: new UpstreamRegistry(registryOptions()),
    compile: { role: 'run', stickySecret: Buffer.from('test-secret') },
    logger: silent,
  });
  t.after(() => gateway.close(0));
  gateway.setTable(table([], [], 'v1'));
  const port = await startAdmin(t, {}, gateway);
  assert.equal((await send(port, { path: '/readyz' })).status, 503, 'a table, but no listener yet');
  await gateway.listen();
  assert.equal((await send(port, { path: '/readyz' })).status, 200);
});

test('with a token, /api needs the bearer token; probes do not', async (t) => {
  const { gateway } = await startGateway(t, table([], [], 'v1'));
  const port = await startAdmin(t, { token: 's3cret' }, gateway);
  const missing = await send(port, { path: '/api/status' });
  assert.equal(missing.status, 401);
  assert.equal(missing.headers['www-authenticate'], 'Bearer');
  assert.equal(
    (await send(port, { path: '/api/routes', headers: { authorization: 'Bearer wrong' } })).status,
    401,
  );
  assert.equal(
    (await send(port, { path: '/api/routes', headers: { authorization: 'Bearer s3cret' } })).status,
    200,
  );
  assert.equal((await send(port, { path: '/readyz' })).status, 200);
});

test('the admin API refuses a non-loopback address without a token', async (t) => {
  const { gateway } = await startGateway(t, undefined);
  assert.throws(
    () => new AdminServer({ listen: '0.0.0.0:9180', logger: silent, source: gateway }),
    (err: { code?: string }) => err.code === 'SG_ERR_CONFIG',
  );
  assert.doesNotThrow(() => new AdminServer({ listen: '[::1]:0', logger: silent, source: gateway }));
  assert.doesNotThrow(
    () => new AdminServer({ listen: '0.0.0.0:0', token: 't', logger: silent, source: gateway }),
  );
});

test('/metrics: the renderer’s page when metrics are on, behind the token; 404 when off; 503 when collecting fails', async (t) => {
  const { gateway } = await startGateway(t, table([], [], 'v1'));
  const off = await startAdmin(t, {}, gateway);
  assert.equal((await send(off, { path: '/metrics' })).status, 404);

  const on = await startAdmin(t, { token: 's3cret', metrics: async () => 'up 1\n' }, gateway);
  const missing = await send(on, { path: '/metrics' });
  assert.equal(missing.status, 401);
  assert.equal(missing.headers['www-authenticate'], 'Bearer');
  const page = await send(on, { path: '/metrics', headers: { authorization: 'Bearer s3cret' } });
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.equal(page.body, 'up 1\n');
  const head = await send(on, {
    path: '/metrics',
    method: 'HEAD',
    headers: { authorization: 'Bearer s3cret' },
  });
  assert.equal(head.status, 200, 'HEAD as for the other endpoints');
  assert.equal(head.headers['content-length'], '5');
  assert.equal(head.body, '');

  const failing = await startAdmin(
    t,
    {
      metrics: async () => {
        throw new Error('Operation timed out.');
      },
    },
    gateway,
  );
  const unavailable = await send(failing, { path: '/metrics' });
  assert.equal(unavailable.status, 503);
  assert.equal((await send(failing, { path: '/healthz' })).status, 200, 'the admin API keeps serving');
});

test('issue 17: without a token, the admin API answers only a loopback Host (DNS rebinding)', async (t) => {
  const { gateway } = await startGateway(t, table([], [], 'v1'));
  const port = await startAdmin(t, { metrics: async () => 'up 1\n' }, gateway);
  for (const host of [
    'localhost',
    `localhost:${port}`,
    'LocalHost',
    'admin.localhost:9180',
    `127.0.0.1:${port}`,
    '127.1.2.3',
    `[::1]:${port}`,
    '[::1]',
    '[::ffff:127.0.0.1]',
  ]) {
    assert.equal((await send(port, { path: '/api/status', host })).status, 200, host);
  }
  for (const host of [
    'rebind.attacker.example',
    `rebind.attacker.example:${port}`,
    'localhost.attacker.example',
    '127.0.0.1.nip.io',
    '10.0.0.1',
    '[fe80::1]',
    '[::2]',
    '0.0.0.0',
    'localhost:x',
  ]) {
    for (const path of ['/api/routes', '/api/status', '/metrics', '/nope']) {
      const res = await send(port, { path, host });
      assert.equal(res.status, 421, `${host} ${path}`);
      assert.match(JSON.parse(res.body).error, /only Host localhost or a loopback address/);
    }
  }
  // The probes reveal nothing and health checkers call them by whatever name or address they know.
  assert.equal((await send(port, { path: '/healthz', host: 'rebind.attacker.example' })).status, 200);
  assert.equal((await send(port, { path: '/readyz', host: '10.0.0.1:9180' })).status, 200);
});

test('with a token, the token guards whatever the Host', async (t) => {
  const { gateway } = await startGateway(t, table([], [], 'v1'));
  const port = await startAdmin(t, { token: 's3cret' }, gateway);
  const host = 'gateway.example:9180';
  assert.equal((await send(port, { path: '/api/status', host })).status, 401);
  const authorization = 'Bearer s3cret';
  assert.equal((await send(port, { path: '/api/status', host, headers: { authorization } })).status, 200);
});

test('isLoopbackHost: loopback names and addresses with an optional port, nothing else', () => {
  for (const host of [
    undefined,
    'localhost',
    'a.b.localhost:1',
    '127.255.255.254:80',
    '[::1]:0',
    'localhost:',
  ])
    assert.equal(isLoopbackHost(host), true, String(host));
  for (const host of [
    '',
    'localhostx',
    'xlocalhost',
    '128.0.0.1',
    '127.1',
    '[::1',
    '::1',
    '[127.0.0.1]',
    'a:b:c',
    '[::1]:99999x',
  ])
    assert.equal(isLoopbackHost(host), false, host);
});
