import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../../integration/support/cli-process.js';

const USAGE_EXIT = 2;
const CONFIG_EXIT = 7;

test('a command line that does not parse exits 2 (usage), naming the problem and the help to read', async () => {
  for (const [args, message] of [
    [['run', '--bogus'], /^swarmgate run: Unknown option '--bogus'/],
    [['run', '--http'], /^swarmgate run: Option '--http <value>' argument missing/],
    [['run', 'stray'], /^swarmgate run: Unexpected argument 'stray'/],
    [['routes', '--bogus'], /^swarmgate routes: Unknown option '--bogus'/],
  ] as const) {
    const result = await runCli(args, { timeoutMs: 10_000 });
    assert.equal(result.code, USAGE_EXIT, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.match(result.stderr, new RegExp(`See \`swarmgate ${args[0]} --help\``));
    assert.equal(result.stdout, '');
  }
});

test('a well-formed command line with a bad value still exits 7 (configuration)', async () => {
  const result = await runCli(['run', '--workers', '0'], { timeoutMs: 10_000 });
  assert.equal(result.code, CONFIG_EXIT, result.stderr);
  assert.match(result.stderr, /--workers "0": must be an integer from 1 to 64 \[SG_ERR_CONFIG/);
});
