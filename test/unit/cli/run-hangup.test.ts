import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_MAIN } from '../../integration/support/cli-process.js';
import { freePort } from '../../integration/support/gateway-process.js';
import { httpRequest } from '../../integration/support/http-client.js';
import { catchesHangup, startOrigin, tableFile } from './process-fixtures.js';

for (const workers of ['1', '2']) {
  test(`--workers ${workers}: a SIGHUP while \`run\` starts does not kill it`, async (t) => {
    const origin = await startOrigin(t, (_req, res) => res.end('served'));
    const dir = await mkdtemp(join(tmpdir(), 'sg-hup-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    // Reading the sticky secret from a FIFO holds start-up until the test writes the secret.
    const secret = join(dir, 'secret');
    execFileSync('mkfifo', [secret]);
    const [http, admin] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [
        CLI_MAIN,
        'run',
        '--table',
        await tableFile(t, origin.port),
        '--http',
        `127.0.0.1:${http}`,
        '--admin',
        `127.0.0.1:${admin}`,
        '--sticky-secret-file',
        secret,
        '--workers',
        workers,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (output += chunk));
    const exited = once(child, 'exit');
    t.after(() => child.kill('SIGKILL'));
    const pid = child.pid!;
    for (let i = 0; i < 60 && !catchesHangup(pid); i++) await sleep(50);

    process.kill(pid, 'SIGHUP');
    await sleep(200);
    // Checked before writing the secret: with no reader left, a write to the FIFO would wait forever.
    assert.equal(child.signalCode, null, `not killed by the hangup; output: ${output}`);
    await writeFile(secret, randomBytes(32).toString('hex'));
    let ready = false;
    for (let i = 0; i < 100 && !ready && child.exitCode === null; i++) {
      await sleep(100);
      ready = await fetch(`http://127.0.0.1:${admin}/readyz`).then(
        (res) => res.ok,
        () => false,
      );
    }
    assert.ok(ready, output);
    assert.equal((await httpRequest(`http://127.0.0.1:${http}`, { host: 'a.test' })).body, 'served');
    assert.match(output, /SIGHUP during start-up: the table is re-read once it is loaded/);
    child.kill('SIGTERM');
    assert.deepEqual(await exited, [0, null], output);
  });
}
