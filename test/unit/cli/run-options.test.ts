import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRunOptions } from '../../../src/cli/run-options.js';
import { UsageError } from '../../../src/cli/usage-error.js';
import { SwarmgateError } from '../../../src/errors.js';

function configError(argv: string[], pattern: RegExp): void {
  assert.throws(
    () => parseRunOptions(argv),
    (err: unknown) =>
      err instanceof SwarmgateError && err.code === 'SG_ERR_CONFIG' && pattern.test(err.message),
  );
}

test('defaults suit a first run on a host', () => {
  const o = parseRunOptions([]);
  assert.deepEqual(o.http, ['0.0.0.0:8080']);
  assert.equal(o.admin, '127.0.0.1:9180');
  assert.equal(o.role, 'run');
  assert.equal(o.networks, undefined);
  assert.equal(o.drainTimeoutMs, 30_000);
  assert.equal(o.relistIntervalMs, 2_000);
  assert.equal(o.maxHeaderBytes, 16 * 1024);
  assert.equal(o.maxBodyBytes, 0);
  // As docs/dataplane-http.md (client side) and --help give them; the rest only --help documents.
  assert.equal(o.headersTimeoutMs, 30_000);
  assert.equal(o.requestTimeoutMs, 300_000);
  assert.equal(o.idleTimeoutMs, 60_000);
  assert.equal(o.connectTimeoutMs, 5_000);
  assert.equal(o.upstreamTimeoutMs, 60_000);
  assert.equal(o.requestBufferBytes, 64 * 1024);
  assert.equal(o.bodyTimeoutMs, 60_000);
  assert.equal(o.minBodyRate, 240);
  assert.equal(o.minBodyRateGraceMs, 10_000);
  assert.equal(o.maxUploadsPerClient, 16);
  assert.equal(o.shutdownGraceMs, 10_000);
  assert.deepEqual(o.trustedProxies, []);
  assert.equal(o.workers, 1);
  assert.equal(o.acceptBatch, 4);
  assert.equal(parseRunOptions(['--accept-batch', '1']).acceptBatch, 1);
  assert.equal(parseRunOptions(['--workers', '2']).acceptBatch, 1, 'workers accept one at a time by default');
  assert.equal(parseRunOptions(['--workers', '2', '--accept-batch', '3']).acceptBatch, 3);
  assert.equal(o.accessLog, false);
  assert.equal(o.metrics, false, 'metrics are opt-in, like the access log');
  assert.equal(parseRunOptions(['--metrics']).metrics, true);
});

test('repeatable and comma-list flags accumulate', () => {
  const o = parseRunOptions([
    '--http',
    '0.0.0.0:80',
    '--http',
    '[::]:80',
    '--network',
    'front,back',
    '--network',
    'db',
    '--trusted-proxies',
    '10.0.0.0/8',
    '--trusted-proxies',
    '192.168.0.0/16,fd00::/8',
  ]);
  assert.deepEqual(o.http, ['0.0.0.0:80', '[::]:80']);
  assert.deepEqual(o.networks, ['front', 'back', 'db']);
  assert.deepEqual(o.trustedProxies, ['10.0.0.0/8', '192.168.0.0/16', 'fd00::/8']);
});

test('durations and sizes take units', () => {
  const o = parseRunOptions([
    '--drain-timeout',
    '1m30s',
    '--max-body-size',
    '10m',
    '--max-header-size',
    '32k',
  ]);
  assert.equal(o.drainTimeoutMs, 90_000);
  assert.equal(o.maxBodyBytes, 10 * 1024 * 1024);
  assert.equal(o.maxHeaderBytes, 32 * 1024);
});

test('the request body flags take sizes and durations, and 0 turns buffering, the rate and the upload cap off', () => {
  const o = parseRunOptions([
    '--request-buffer-size',
    '256k',
    '--body-timeout',
    '20s',
    '--min-body-rate',
    '1k',
    '--min-body-rate-grace',
    '5s',
    '--max-uploads-per-client',
    '4',
  ]);
  assert.equal(o.requestBufferBytes, 256 * 1024);
  assert.equal(o.bodyTimeoutMs, 20_000);
  assert.equal(o.minBodyRate, 1024);
  assert.equal(o.minBodyRateGraceMs, 5_000);
  assert.equal(o.maxUploadsPerClient, 4);
  const off = parseRunOptions([
    '--request-buffer-size',
    '0',
    '--min-body-rate',
    '0',
    '--max-uploads-per-client',
    '0',
  ]);
  assert.deepEqual([off.requestBufferBytes, off.minBodyRate, off.maxUploadsPerClient], [0, 0, 0]);
  configError(['--request-buffer-size', '1g'], /--request-buffer-size "1g": must be at most 16m/);
  configError(['--body-timeout', '0'], /--body-timeout "0": must be a positive duration/);
  configError(['--min-body-rate', 'slow'], /--min-body-rate "slow": must be a positive size/);
  configError(['--max-uploads-per-client', 'many'], /--max-uploads-per-client "many": must be an integer/);
});

test('bad values name the flag and the rule', () => {
  configError(['--drain-timeout', '30'], /--drain-timeout "30": must be a positive duration/);
  configError(['--max-body-size', 'lots'], /--max-body-size "lots": must be a positive size/);
  configError(['--workers', '0'], /--workers "0": must be an integer from 1 to 64/);
  configError(['--accept-batch', 'many'], /--accept-batch "many": must be an integer from 1 to 64/);
  configError(['--role', 'edge'], /--role "edge": must be one of run, border, ingress/);
});

test('a command line that does not parse is a usage error, not a configuration error', () => {
  for (const [argv, message] of [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--http'], /Option '--http <value>' argument missing/],
    [['stray'], /Unexpected argument 'stray'/],
  ] as const) {
    assert.throws(
      () => parseRunOptions([...argv]),
      (err: unknown) => err instanceof UsageError && err.command === 'run' && message.test(err.message),
    );
  }
});

test('durations above 24 days, which node timers would cut to 1 ms, are refused', () => {
  assert.equal(parseRunOptions(['--shutdown-grace', '24d']).shutdownGraceMs, 24 * 86_400_000);
  configError(['--shutdown-grace', '25d'], /^--shutdown-grace "25d": must be at most 24d$/);
  configError(['--connect-timeout', '30d'], /^--connect-timeout "30d": must be at most 24d$/);
  configError(['--drain-timeout', '24d1ms'], /^--drain-timeout "24d1ms": must be at most 24d$/);
});

test('--docker and --table exclude each other', () => {
  configError(['--docker', 'unix:///x.sock', '--table', 't.json'], /exclusive/);
});

test('listen addresses are checked with the options, before anything starts', () => {
  configError(['--http', '127.0.0.1:99999'], /invalid listen address "127\.0\.0\.1:99999"/);
  configError(
    ['--http', '0.0.0.0:80', '--http', 'localhost:8080'],
    /invalid listen address "localhost:8080"/,
  );
  configError(['--admin', ':9180'], /invalid listen address ":9180"/);
  assert.deepEqual(parseRunOptions(['--http', '[::]:80']).http, ['[::]:80']);
});

test('two listeners on one address are refused with the options, naming both', () => {
  configError(
    ['--http', '127.0.0.1:8080', '--http', '127.0.0.1:8080'],
    /^--http 127\.0\.0\.1:8080: --http 127\.0\.0\.1:8080 already listens on 127\.0\.0\.1:8080; give each listener its own address$/,
  );
  configError(
    ['--http', '127.0.0.1:9180'],
    /^--admin 127\.0\.0\.1:9180: --http 127\.0\.0\.1:9180 already listens on 127\.0\.0\.1:9180/,
  );
  assert.deepEqual(parseRunOptions(['--http', '0.0.0.0:80', '--http', '[::]:80']).http, [
    '0.0.0.0:80',
    '[::]:80',
  ]);
});

test('the data plane checks its settings here, so no cluster worker dies of them', () => {
  configError(
    ['--trusted-proxies', '10.0.0.0/8,10.0.0.0/33'],
    /^--trusted-proxies: invalid trusted proxy "10\.0\.0\.0\/33"/,
  );
  configError(['--trusted-proxies', 'proxy.lan'], /invalid trusted proxy "proxy\.lan"/);
  configError(
    ['--headers-timeout', '2m', '--request-timeout', '1m'],
    /^--headers-timeout, --request-timeout: headersTimeoutMs \(120000\) must not exceed requestTimeoutMs \(60000\)/,
  );
  configError(['--headers-timeout', '6m'], /must not exceed requestTimeoutMs \(300000\)/);
  const o = parseRunOptions(['--headers-timeout', '1m', '--request-timeout', '1m']);
  assert.equal(o.headersTimeoutMs, o.requestTimeoutMs, 'equal timeouts are allowed');
});

test('connection caps: the total derived per process unless given, 512 per address, 0 turns one off', () => {
  const o = parseRunOptions([]);
  assert.equal(o.maxConnections, undefined, 'each process derives it from its open-file limit');
  assert.equal(o.maxConnectionsPerAddress, 512);
  const given = parseRunOptions(['--max-connections', '20000', '--max-connections-per-address', '0']);
  assert.equal(given.maxConnections, 20_000);
  assert.equal(given.maxConnectionsPerAddress, 0);
  configError(['--max-connections=1.5'], /^--max-connections "1.5": must be an integer from 0 to/);
  configError(['--max-connections-per-address', 'many'], /^--max-connections-per-address "many"/);
});
