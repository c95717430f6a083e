import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { type TestContext, test } from 'node:test';
import { runCli } from '../../integration/support/cli-process.js';
import { freePort } from '../../integration/support/gateway-process.js';
import { startGateway } from '../dataplane/http/harness.js';
import { tableFile } from './process-fixtures.js';

const CONFIG_EXIT = 7;

for (const workers of ['1', '2']) {
  test(`--workers ${workers}: settings the data plane refuses stop \`run\` at once with exit ${CONFIG_EXIT}`, async (t) => {
    const base = [
      'run',
      '--table',
      await tableFile(t, 9),
      '--http',
      `127.0.0.1:${await freePort()}`,
      '--admin',
      `127.0.0.1:${await freePort()}`,
      '--workers',
      workers,
    ];
    for (const [flags, message] of [
      [['--trusted-proxies', '10.0.0.0/40'], /--trusted-proxies: invalid trusted proxy "10\.0\.0\.0\/40"/],
      [['--headers-timeout', '2m', '--request-timeout', '1m'], /--headers-timeout, --request-timeout: /],
    ] as const) {
      const result = await runCli([...base, ...flags], { timeoutMs: 10_000 });
      assert.equal(result.code, CONFIG_EXIT, `exit code; stdout: ${result.stdout}; stderr: ${result.stderr}`);
      assert.equal(result.stdout, '', 'nothing started, nothing logged');
      assert.match(result.stderr, message);
      assert.match(result.stderr, /SG_ERR_CONFIG/);
    }
  });
}

/** A port on 127.0.0.1 that a listener of the test holds until the test ends. */
async function takenPort(t: TestContext): Promise<number> {
  const taken = createServer();
  taken.listen(0, '127.0.0.1');
  await once(taken, 'listening');
  t.after(() => taken.close());
  return (taken.address() as { port: number }).port;
}

for (const workers of ['1', '2']) {
  test(`--workers ${workers}: a taken admin port stops \`run\` before any client is served`, async (t) => {
    // Both ports taken: the error names the one bound first, which must be the admin's.
    const http = await takenPort(t);
    const admin = await takenPort(t);
    const args = ['run', '--table', await tableFile(t, 9), '--http', `127.0.0.1:${http}`];
    const result = await runCli([...args, '--admin', `127.0.0.1:${admin}`, '--workers', workers], {
      timeoutMs: 10_000,
    });
    assert.equal(result.code, CONFIG_EXIT, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `^swarmgate: the admin API cannot listen on 127\\.0\\.0\\.1:${admin}: the address is already in use .*\\(EADDRINUSE\\) \\[SG_ERR_CONFIG: Invalid configuration\\]$`,
        'm',
      ),
    );
    assert.doesNotMatch(result.stdout, /worker died/, 'no worker was started');
  });

  test(`--workers ${workers}: an entrypoint that cannot be bound stops \`run\` with exit ${CONFIG_EXIT}, naming it`, async (t) => {
    const taken = await takenPort(t);
    for (const [http, reason] of [
      [`127.0.0.1:${taken}`, 'the address is already in use .*\\(EADDRINUSE\\)'],
      // TEST-NET-1 (RFC 5737): an address no host here has.
      [`192.0.2.1:${taken}`, "the IP address is not one of this host's \\(EADDRNOTAVAIL\\)"],
    ] as const) {
      const result = await runCli(
        [
          'run',
          '--table',
          await tableFile(t, 9),
          '--http',
          http,
          '--admin',
          `127.0.0.1:${await freePort()}`,
          '--workers',
          workers,
        ],
        { timeoutMs: 10_000 },
      );
      assert.equal(result.code, CONFIG_EXIT, `${http}: ${result.stderr}`);
      const line = `^swarmgate: the HTTP entrypoint cannot listen on ${http.replaceAll('.', '\\.')}: ${reason} \\[SG_ERR_CONFIG`;
      assert.match(result.stderr, new RegExp(line, 'm'));
      assert.doesNotMatch(result.stderr, /unexpected error|^\s+at /m, 'no stack trace: not a bug');
      assert.doesNotMatch(result.stdout, /swarmgate is serving|worker died/);
    }
  });
}

for (const workers of ['1', '2']) {
  test(`--workers ${workers} --accept-batch 4: an address a gateway with accept batches holds stops \`run\` with exit ${CONFIG_EXIT}`, async (t) => {
    // Where accept batches are SO_REUSEPORT sockets, the holder's sockets would let ours join them.
    const holder = await startGateway(t, undefined, { acceptBatch: 4 });
    const http = `127.0.0.1:${holder.port}`;
    const result = await runCli(
      [
        'run',
        '--table',
        await tableFile(t, 9),
        '--http',
        http,
        '--admin',
        `127.0.0.1:${await freePort()}`,
        '--workers',
        workers,
        '--accept-batch',
        '4',
      ],
      { timeoutMs: 10_000 },
    );
    assert.equal(result.code, CONFIG_EXIT, `stdout: ${result.stdout}; stderr: ${result.stderr}`);
    const line = `^swarmgate: the HTTP entrypoint cannot listen on ${http.replaceAll('.', '\\.')}: the address is already in use .*\\(EADDRINUSE\\) \\[SG_ERR_CONFIG`;
    assert.match(result.stderr, new RegExp(line, 'm'));
    assert.doesNotMatch(result.stdout, /swarmgate is serving/);
  });
}

test('--workers 2: workers that keep dying before they serve make the primary give up with exit 1', async (t) => {
  // Workers die as they start (a preload; no spaces, which would split NODE_OPTIONS); the primary runs on.
  const dieInWorkers = "import{isWorker}from'node:cluster';if(isWorker)process.exit(3)";
  const result = await runCli(
    [
      'run',
      '--table',
      await tableFile(t, 9),
      '--http',
      `127.0.0.1:${await freePort()}`,
      '--admin',
      `127.0.0.1:${await freePort()}`,
      '--workers',
      '2',
    ],
    { timeoutMs: 20_000, wrapper: ['env', `NODE_OPTIONS=--import=data:text/javascript,${dieInWorkers}`] },
  );
  assert.equal(result.code, 1, `exit code; stderr: ${result.stderr}`);
  const messages = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
  assert.equal(messages.filter((m) => m === 'worker died; starting a new one').length, 4);
  assert.equal(messages.at(-1), 'workers keep dying before they serve; giving up');
});
