import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGateway } from '../../integration/support/gateway-process.js';
import { httpRequest } from '../../integration/support/http-client.js';
import { deferred } from '../dataplane/http/harness.js';
import { catchesHangup, startOrigin, tableFile, writeTableFile } from './process-fixtures.js';

/** Whether a new TCP connection to `port` on loopback is refused rather than accepted. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    // A connect that reaches the queue of a listening socket in the instant it closes is reset: not
    // refused yet, so the poll goes on.
    socket.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNREFUSED' ? resolve(true) : err.code === 'ECONNRESET' ? resolve(false) : reject(err),
    );
  });
}

/** Polls until a new connection is refused; false if none was within `timeoutMs`. */
async function refusedWithin(port: number, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(10))
    if (await refused(port)) return true;
  return false;
}

for (const workers of [1, 2]) {
  test(`${workers} worker(s): SIGTERM lets the request in flight finish, refuses new connections, exits 0`, async (t) => {
    const body = 'x'.repeat(64 * 1024);
    const release = deferred();
    const origin = await startOrigin(t, (req, res) => {
      req.resume();
      if (req.url !== '/slow') return res.end('fast');
      void release.promise.then(() => res.end(body));
    });
    const gw = await startGateway({
      table: await tableFile(t, origin.port),
      args: ['--workers', String(workers), '--shutdown-grace', '5s'],
      t,
    });
    // Cluster workers listen once their first table arrived.
    for (let i = 0; i < 50; i++) {
      const res = await httpRequest(gw.http, { host: 'a.test' }).catch(() => undefined);
      if (res?.status === 200) break;
      await sleep(100);
    }
    const arrived = origin.arrival('/slow');
    const response = httpRequest(gw.http, { host: 'a.test', path: '/slow' });
    await arrived;

    const signalled = Date.now();
    const exited = gw.stop();
    assert.ok(await refusedWithin(gw.port, 10_000), 'a new connection after SIGTERM is refused');
    release.resolve();
    const res = await response;
    assert.equal(res.status, 200);
    assert.equal(res.body, body, 'the whole body arrives');
    assert.equal(res.headers.connection, 'close');
    assert.equal(await exited, 0, 'graceful shutdown exits 0');
    const elapsed = Date.now() - signalled;
    assert.ok(elapsed < 5_000, `exits within --shutdown-grace, after ${elapsed} ms`);
  });
}

test('a request still running when --shutdown-grace runs out is cut, and the process exits 0', async (t) => {
  const origin = await startOrigin(t, (req) => req.resume());
  const gw = await startGateway({
    table: await tableFile(t, origin.port),
    args: ['--shutdown-grace', '1s'],
    t,
  });
  const arrived = origin.arrival('/');
  const outcome = httpRequest(gw.http, { host: 'a.test', timeoutMs: 10_000 }).catch((err: Error) => err);
  await arrived;

  const signalled = Date.now();
  // Exit code 0 as for any completed shutdown: src/cli/run/shutdown.ts (the docs do not say).
  assert.equal(await gw.stop(), 0);
  const elapsed = Date.now() - signalled;
  // The lower bound is the behaviour (it waited out the grace); the upper one only a liveness bound.
  assert.ok(elapsed >= 950 && elapsed < 8_000, `exits once the grace ran out, after ${elapsed} ms`);
  const result = await outcome;
  assert.ok(result instanceof Error, `the request is cut, not answered: ${JSON.stringify(result)}`);
  assert.match(result.message, /socket hang up|ECONNRESET|aborted/);
});

test('--workers 2: SIGHUP to the primary and its workers reloads the table and stops nothing', async (t) => {
  const first = await startOrigin(t, (_req, res) => res.end('first'));
  const second = await startOrigin(t, (_req, res) => res.end('second'));
  const file = await tableFile(t, first.port);
  const gw = await startGateway({ table: file, args: ['--workers', '2'], t });
  const workers = execFileSync('pgrep', ['-P', String(gw.pid)], { encoding: 'utf8' })
    .trim()
    .split('\n');
  assert.equal(workers.length, 2);
  // A worker still starting has no handler yet, and a hangup kills it as it would any process.
  for (let i = 0; i < 100 && !workers.every((pid) => catchesHangup(Number(pid))); i++) await sleep(50);
  await writeTableFile(file, second.port);
  for (const pid of [gw.pid, ...workers.map(Number)]) process.kill(pid, 'SIGHUP');
  let body = '';
  for (let i = 0; i < 100 && body !== 'second'; i++) {
    await sleep(100);
    body = (await httpRequest(gw.http, { host: 'a.test' })).body;
  }
  assert.equal(body, 'second', 'the new table is served');
  for (const pid of [gw.pid, ...workers.map(Number)]) process.kill(pid, 0);
  assert.equal(await gw.stop(), 0);
});
