import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { resolveDockerEndpoint } from '../../../src/discovery/docker-endpoint.js';
import { EngineClient, type EngineEvent } from '../../../src/discovery/engine-client.js';
import { engineCallError } from '../../../src/discovery/engine-errors.js';
import { type ErrorCode, SwarmgateError } from '../../../src/errors.js';
import { fixturePath } from '../../support/paths.js';
import { EngineServer, NOT_A_MANAGER_BODY } from './engine-server.js';

type TestContext = { after(fn: () => unknown): void };

async function serverAndClient(t: TestContext, timeoutMs?: number) {
  const server = await EngineServer.start();
  const client = new EngineClient(
    resolveDockerEndpoint({ url: `unix://${server.socketPath}`, env: {} }),
    timeoutMs === undefined ? {} : { timeoutMs },
  );
  t.after(async () => {
    await client.close();
    await server.dispose();
  });
  return { server, client };
}

function rejectsWith(code: ErrorCode, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof SwarmgateError, `a SwarmgateError, got ${error}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  };
}

test('lists use the server API version up to 1.43, with status=true on services', async (t) => {
  const { server, client } = await serverAndClient(t);
  server.state.services = [{ ID: 's' }];
  server.state.tasks = [{ ID: 't' }];
  assert.deepEqual(await client.listServices(), [{ ID: 's' }]);
  assert.deepEqual(await client.listTasks(), [{ ID: 't' }]);
  assert.deepEqual(await client.listNodes(), []);
  assert.deepEqual(await client.listNetworks(), []);
  assert.deepEqual(await client.info(), { Swarm: { LocalNodeState: 'active', ControlAvailable: true } });
  assert.deepEqual(
    server.requests.map((r) => r.url),
    [
      '/version',
      '/v1.41/services?status=true',
      '/v1.41/tasks',
      '/v1.41/nodes',
      '/v1.41/networks',
      '/v1.41/info',
    ],
  );

  const { server: newer, client: newerClient } = await serverAndClient(t);
  newer.state.apiVersion = '1.45';
  assert.equal(await newerClient.apiVersion(), '1.43');
  await newerClient.listTasks();
  assert.equal(newer.requests.at(-1)?.url, '/v1.43/tasks');
});

test('every request is a GET, events included', async (t) => {
  const { server, client } = await serverAndClient(t);
  await Promise.all([client.listServices(), client.listTasks(), client.listNodes(), client.listNetworks()]);
  await client.info();
  const abort = new AbortController();
  await client.events({ type: ['service'] }, abort.signal);
  abort.abort();
  assert.equal(server.requests.length, 7);
  assert.deepEqual(new Set(server.requests.map((r) => r.method)), new Set(['GET']));
});

test('an engine older than API 1.41 is refused with SG_ERR_DOCKER_API_TOO_OLD', async (t) => {
  const { server, client } = await serverAndClient(t);
  server.state.apiVersion = '1.40';
  await assert.rejects(
    client.listServices(),
    rejectsWith('SG_ERR_DOCKER_API_TOO_OLD', /speaks Engine API 1\.40.*1\.41/),
  );
  // Asked again on the next call: the daemon may have been upgraded.
  server.state.apiVersion = '1.41';
  assert.deepEqual(await client.listServices(), []);
});

test('a worker node answers 503: SG_ERR_DOCKER_NOT_SWARM with the engine message', async (t) => {
  const { server, client } = await serverAndClient(t);
  server.state.failure = { status: 503, body: NOT_A_MANAGER_BODY };
  await assert.rejects(
    client.listServices(),
    rejectsWith(
      'SG_ERR_DOCKER_NOT_SWARM',
      /not a swarm manager\. Worker nodes.*must talk to a swarm manager/,
    ),
  );
});

test('other failures are SG_ERR_DOCKER_RESPONSE with the status and what the engine said', async (t) => {
  const { server, client } = await serverAndClient(t);
  const cases: [{ status: number; body: string }, RegExp][] = [
    [
      {
        status: 500,
        body: '{"message":"rpc error: code = Unknown desc = The swarm does not have a leader."}\n',
      },
      /answered 500 to GET \/v1\.41\/tasks: rpc error: code = Unknown desc = The swarm does not have a leader\.$/,
    ],
    [
      { status: 503, body: '{"message":"rpc error: code = Unavailable desc = transport is closing"}' },
      /answered 503 .*transport is closing/,
    ],
    [{ status: 502, body: '<html>Bad Gateway</html>' }, /answered 502 .*<html>Bad Gateway<\/html>/],
    [{ status: 200, body: '{"not":"a list"}' }, /GET \/v1\.41\/tasks did not answer with a list/],
    [{ status: 200, body: '[{"ID":' }, /GET \/v1\.41\/tasks answered with invalid JSON/],
  ];
  for (const [failure, pattern] of cases) {
    server.state.failure = failure;
    await assert.rejects(client.listTasks(), rejectsWith('SG_ERR_DOCKER_RESPONSE', pattern));
  }
  server.state.apiVersion = 'latest';
  await assert.rejects(
    new EngineClient(client.endpoint).listNodes(),
    rejectsWith('SG_ERR_DOCKER_RESPONSE', /GET \/version on unix:\/\/.* has no ApiVersion/),
  );
});

test('a missing socket is SG_ERR_DOCKER_UNREACHABLE naming the socket and what to check', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-nosock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const client = new EngineClient(resolveDockerEndpoint({ url: `unix://${dir}/docker.sock`, env: {} }));
  t.after(() => client.close());
  await assert.rejects(
    client.listServices(),
    rejectsWith(
      'SG_ERR_DOCKER_UNREACHABLE',
      new RegExp(`unix://${dir}/docker.sock \\(ENOENT\\): is dockerd running, and is the socket mounted`),
    ),
  );
});

test('a socket nobody listens on (daemon crashed) is SG_ERR_DOCKER_UNREACHABLE (ECONNREFUSED)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-stale-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socketPath = join(dir, 'docker.sock');
  // A process that dies without closing its listening socket leaves the socket file behind.
  spawnSync(process.execPath, [
    '-e',
    `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  const client = new EngineClient(resolveDockerEndpoint({ url: `unix://${socketPath}`, env: {} }));
  t.after(() => client.close());
  await assert.rejects(client.listTasks(), rejectsWith('SG_ERR_DOCKER_UNREACHABLE', /\(ECONNREFUSED\)/));
});

test('a socket this user may not open is SG_ERR_DOCKER_PERMISSION with the docker group hint', async (t) => {
  const server = await EngineServer.start();
  t.after(() => server.dispose());
  chmodSync(server.socketPath, 0o600);
  chmodSync(join(server.socketPath, '..'), 0o755);
  // Root opens any socket, so the connect runs in a child as nobody. The child uses only node:net (it may
  // not be able to read this checkout); the error it gets from the kernel is then mapped here.
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const script = `require('node:net').connect(${JSON.stringify(server.socketPath)})
    .on('connect', () => { console.log('{}'); process.exit(); })
    .on('error', ({ code, errno, syscall, address, message }) => console.log(JSON.stringify({ code, errno, syscall, address, message })));`;
  const child = spawn(process.execPath, ['-e', script], { ...asNobody, cwd: '/' });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  await new Promise((resolve) => child.on('close', resolve));
  const socketError = Object.assign(new Error(), JSON.parse(output));
  assert.equal(socketError.code, 'EACCES');

  const error = engineCallError(
    socketError,
    { kind: 'unix', socketPath: server.socketPath, display: 'unix://sock' },
    1000,
  );
  assert.equal(error.code, 'SG_ERR_DOCKER_PERMISSION');
  assert.match(
    error.message,
    /permission denied on unix:\/\/sock: run as root or as a member of the docker group/,
  );
  assert.equal(error.cause, socketError);
});

test('a daemon that does not answer in time is SG_ERR_DOCKER_UNREACHABLE', async (t) => {
  const { server, client } = await serverAndClient(t, 50);
  await client.apiVersion();
  server.state.stall = true;
  await assert.rejects(
    client.listNodes(),
    rejectsWith('SG_ERR_DOCKER_UNREACHABLE', /did not answer within 50 ms/),
  );
});

test('events: filters are sent as JSON, messages are parsed across chunk boundaries, abort ends the stream', async (t) => {
  const { server, client } = await serverAndClient(t);
  const abort = new AbortController();
  const events = await client.events({ type: ['service', 'node'], scope: ['swarm'] }, abort.signal);
  const url = new URL(server.requests.at(-1)?.url ?? '', 'http://x');
  assert.equal(url.pathname, '/v1.41/events');
  assert.deepEqual(JSON.parse(url.searchParams.get('filters') ?? ''), {
    type: ['service', 'node'],
    scope: ['swarm'],
  });

  const received: EngineEvent[] = [];
  const reading = (async () => {
    for await (const event of events) {
      received.push(event);
      if (received.length === 3) abort.abort();
    }
  })();
  const first = JSON.stringify({
    Type: 'service',
    Action: 'update',
    Actor: { ID: 'svc', Attributes: { name: 'web' } },
    scope: 'swarm',
    time: 1,
    timeNano: 1_700_000_000_123_456_800,
  });
  server.writeEvents(first.slice(0, 20));
  await new Promise((resolve) => setTimeout(resolve, 20));
  server.writeEvents(
    `${first.slice(20)}\n{"Type":"node","Action":"update","Actor":{"ID":"n1"}}\n{"not":"an event"}\n{"Type":"network",`,
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  server.writeEvents('"Action":"create","Actor":{"ID":"net"}}\n');
  await assert.rejects(reading, { name: 'AbortError' });

  assert.deepEqual(received, [
    {
      Type: 'service',
      Action: 'update',
      Actor: { ID: 'svc', Attributes: { name: 'web' } },
      scope: 'swarm',
      timeNano: 1_700_000_000_123_456_800,
    },
    { Type: 'node', Action: 'update', Actor: { ID: 'n1', Attributes: {} } },
    { Type: 'network', Action: 'create', Actor: { ID: 'net', Attributes: {} } },
  ]);
});

test('events: a daemon that goes away ends the stream', async (t) => {
  const { server, client } = await serverAndClient(t);
  const events = await client.events({ type: ['service'] }, new AbortController().signal);
  const iterator = events[Symbol.asyncIterator]();
  const first = iterator.next();
  server.emitEvent({ Type: 'service', Action: 'remove' });
  assert.equal((await first).value?.Action, 'remove');
  await server.stop();
  // Cut mid-response: undici reports the closed socket, which is the engine being unreachable.
  await assert.rejects(
    iterator.next(),
    rejectsWith('SG_ERR_DOCKER_UNREACHABLE', /connection to Docker at .* failed/),
  );
});

test('tcp with TLS: the client presents its certificate and verifies the daemon with ca.pem', async (t) => {
  const tls = (file: string) => readFileSync(fixturePath('engine', 'tls', file));
  const clientNames: string[] = [];
  const server = createHttpsServer(
    { key: tls('server-key.pem'), cert: tls('server-cert.pem'), ca: tls('ca.pem'), requestCert: true },
    (req, res) => {
      clientNames.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/version' ? '{"ApiVersion":"1.41"}' : '[{"ID":"n1"}]');
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as AddressInfo;

  const endpoint = resolveDockerEndpoint({
    url: `tcp://127.0.0.1:${port}`,
    tlsVerify: true,
    certPath: fixturePath('engine', 'tls'),
    env: {},
  });
  const client = new EngineClient(endpoint);
  t.after(() => client.close());
  assert.deepEqual(await client.listNodes(), [{ ID: 'n1' }]);
  assert.deepEqual(clientNames, ['client', 'client']);

  // A daemon whose certificate is not signed by the configured CA is not trusted.
  if (endpoint.kind !== 'tcp' || endpoint.tls === undefined) assert.fail('a TLS endpoint');
  const untrusting = new EngineClient({ ...endpoint, tls: { ...endpoint.tls, ca: tls('cert.pem') } });
  t.after(() => untrusting.close());
  await assert.rejects(
    untrusting.listNodes(),
    rejectsWith(
      'SG_ERR_DOCKER_UNREACHABLE',
      /connection to Docker at tcp:\/\/127\.0\.0\.1:\d+ failed: .*certificate/,
    ),
  );
});
