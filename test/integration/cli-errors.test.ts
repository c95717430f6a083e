import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type RequestListener } from 'node:http';
import { createServer as createNetServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { CLI_MAIN, type CliResult, runCli } from './support/cli-process.js';

/** What dockerd answers when the node is not a swarm manager (Engine 20.10, word for word). */
const NOT_MANAGER =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

/** A fresh folder for sockets, removed after the test; others may enter it (0755) so `nobody` can. */
async function socketDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sg-cli-errors-'));
  await chmod(dir, 0o755);
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function listen(t: TestContext, server: Server, path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
}

/** A real HTTP server on a unix socket, standing in for dockerd; records every request it gets. */
async function fakeEngine(
  t: TestContext,
  handler: RequestListener,
): Promise<{ url: string; requests: string[] }> {
  const path = join(await socketDir(t), 'docker.sock');
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await listen(t, server, path);
  return { url: `unix://${path}`, requests };
}

function json(res: Parameters<RequestListener>[1], status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function assertExit(result: CliResult, code: number): void {
  assert.equal(result.code, code, `exit code; stdout: ${result.stdout}; stderr: ${result.stderr}`);
}

/** A failed command prints exactly one line on stderr, nothing on stdout. */
function assertOneErrorLine(result: CliResult): string {
  assert.equal(result.stdout, '', 'nothing on stdout');
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  return lines[0] ?? '';
}

test('routes: an unreachable socket exits 3 with one line naming the path and a hint', async (t) => {
  const result = await runCli(['routes', '--docker', 'unix:///nonexistent.sock']);
  t.diagnostic(`stderr: ${result.stderr.trim()}`);
  assertExit(result, 3);
  const line = assertOneErrorLine(result);
  assert.match(line, /unix:\/\/\/nonexistent\.sock/);
  assert.match(line, /is dockerd running/);
  assert.match(line, /SG_ERR_DOCKER_UNREACHABLE/);
});

test('routes: a socket this user may not open exits 4 with a permission hint', async (t) => {
  const path = join(await socketDir(t), 'docker.sock');
  // A live listener, so the one reason the connect fails is the socket's mode.
  await listen(
    t,
    createNetServer((socket) => socket.destroy()),
    path,
  );
  await chmod(path, 0o000);
  // As `nobody` when that user can read the built CLI; otherwise as root without the capabilities that
  // bypass file modes. Either way the kernel refuses the connect with EACCES, as for a user outside
  // the docker group.
  const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
  const probe = await runCli(['--version'], { wrapper: asNobody });
  const wrapper =
    probe.code === 0
      ? asNobody
      : ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-all'];
  t.diagnostic(`running the CLI via: ${wrapper.join(' ')} node ${CLI_MAIN}`);
  const result = await runCli(['routes', '--docker', `unix://${path}`], { wrapper });
  t.diagnostic(`stderr: ${result.stderr.trim()}`);
  assertExit(result, 4);
  const line = assertOneErrorLine(result);
  assert.ok(line.includes(`unix://${path}`), 'names the socket');
  assert.match(line, /permission denied/);
  assert.match(line, /docker group/);
  assert.match(line, /SG_ERR_DOCKER_PERMISSION/);
});

test('routes: an engine speaking API 1.40 exits 5 naming both versions', async (t) => {
  const engine = await fakeEngine(t, (req, res) => {
    if (req.url === '/version') json(res, 200, { ApiVersion: '1.40', Version: '19.03.15' });
    else json(res, 404, { message: 'page not found' });
  });
  const result = await runCli(['routes', '--docker', engine.url]);
  t.diagnostic(`stderr: ${result.stderr.trim()}`);
  assertExit(result, 5);
  const line = assertOneErrorLine(result);
  assert.match(line, /1\.40/);
  assert.match(line, /1\.41/);
  assert.match(line, /SG_ERR_DOCKER_API_TOO_OLD/);
  assert.deepEqual(engine.requests, ['GET /version'], 'asks for the version only');
});

test('routes: an engine that is not a swarm manager exits 6 quoting the engine', async (t) => {
  const engine = await fakeEngine(t, (req, res) => {
    if (req.url === '/version') json(res, 200, { ApiVersion: '1.41', Version: '20.10.24' });
    else json(res, 503, { message: NOT_MANAGER });
  });
  const result = await runCli(['routes', '--docker', engine.url]);
  t.diagnostic(`stderr: ${result.stderr.trim()}`);
  assertExit(result, 6);
  const line = assertOneErrorLine(result);
  assert.match(line, /not a swarm manager/);
  assert.match(line, /SG_ERR_DOCKER_NOT_SWARM/);
  assert.ok(engine.requests.length > 1, 'it got as far as listing the swarm');
  for (const request of engine.requests) assert.match(request, /^GET /, 'read-only: GET requests only');
});

test('routes: an unknown flag is a usage error (exit 2) naming the flag, with a pointer to --help', async () => {
  const result = await runCli(['routes', '--bogus']);
  assertExit(result, 2);
  assert.equal(result.stdout, '', 'nothing on stdout');
  assert.deepEqual(
    result.stderr.split('\n').filter((l) => l !== ''),
    ["swarmgate routes: Unknown option '--bogus'", 'See `swarmgate routes --help`.'],
  );
});

test('routes: a bad flag value exits 7 naming the flag and the choices', async () => {
  const result = await runCli(['routes', '--role', 'sideways', '--docker', 'unix:///nonexistent.sock']);
  assertExit(result, 7);
  const line = assertOneErrorLine(result);
  assert.match(line, /--role "sideways"/);
  assert.match(line, /run, border, ingress/);
});

test('routes: a Docker URL of an unknown scheme exits 7 with the expected forms', async () => {
  const result = await runCli(['routes', '--docker', 'ftp://docker.invalid']);
  assertExit(result, 7);
  const line = assertOneErrorLine(result);
  assert.match(line, /ftp:\/\/docker\.invalid/);
  assert.match(line, /unix:\/\/\/path\/to\/docker\.sock or tcp:\/\/host:port/);
  assert.match(line, /SG_ERR_DOCKER_CONFIG/);
});

test('an unknown command exits 2 with the usage', async () => {
  const result = await runCli(['rotues']);
  assertExit(result, 2);
  assert.match(result.stderr, /unknown command "rotues"/);
  assert.match(result.stderr, /Usage: swarmgate <command>/);
});

test('--help exits 0 with the usage, for the program and for routes', async () => {
  const top = await runCli(['--help']);
  assertExit(top, 0);
  assert.match(top.stdout, /Usage: swarmgate <command>/);
  assert.match(top.stdout, /routes/);
  assert.equal(top.stderr, '');
  const routes = await runCli(['routes', '--help']);
  assertExit(routes, 0);
  assert.match(routes.stdout, /Usage: swarmgate routes/);
  for (const flag of ['--docker', '--json', '--watch', '--role', '--network']) {
    assert.ok(routes.stdout.includes(flag), `routes --help lists ${flag}`);
  }
  assert.equal(routes.stderr, '');
});
