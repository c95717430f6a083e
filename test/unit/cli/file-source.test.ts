import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { FileSource } from '../../../src/cli/sources/file-source.js';
import { SwarmgateError } from '../../../src/errors.js';
import type { RoutingTable } from '../../../src/routing/table.js';
import { backend } from '../dataplane/upstreams/table-fixtures.js';

const table = (version: string): RoutingTable => ({ version, routes: [], backends: [], diagnostics: [] });

async function tempFile(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sg-table-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'table.json');
}

test('a bad table file at start is a configuration error naming the problem', async (t) => {
  const path = await tempFile(t);
  await writeFile(path, JSON.stringify({ version: 'v1', routes: [{ id: 'x' }], backends: [] }));
  const source = new FileSource(path, pino({ level: 'silent' }));
  await assert.rejects(
    source.start(),
    (err: unknown) =>
      err instanceof SwarmgateError && err.code === 'SG_ERR_CONFIG' && /routes\.0\./.test(err.message),
  );
});

test('a later bad file keeps the last good table; a good one replaces it', async (t) => {
  const path = await tempFile(t);
  await writeFile(path, JSON.stringify(table('v1')));
  const source = new FileSource(path, pino({ level: 'silent' }), 20);
  t.after(() => source.close());
  assert.equal((await source.start()).version, 'v1');

  await writeFile(path, '{ not json');
  await source.reload();
  assert.match(String((source.status() as { lastError: string }).lastError), /not JSON/);
  assert.equal((source.status() as { version: string }).version, 'v1');

  // The file watch does not hold the event loop open (a gateway's listeners do); this test must.
  const keepAlive = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(keepAlive));
  const next = once(source, 'table');
  await writeFile(path, JSON.stringify(table('v2')));
  const [received] = (await next) as [RoutingTable];
  assert.equal(received.version, 'v2');
  assert.equal((source.status() as { lastError: unknown }).lastError, null);
});

test('a file edited without a new version is still reloaded, under a version derived from its content', async (t) => {
  const path = await tempFile(t);
  await writeFile(path, JSON.stringify(table('v1')));
  const lines: Array<{ msg: string; version?: string }> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const source = new FileSource(path, logger, 60_000);
  t.after(() => source.close());
  await source.start();
  const tables: RoutingTable[] = [];
  source.on('table', (next) => tables.push(next));

  await source.reload();
  assert.equal(tables.length, 0, 'the same text is no change');
  const edited: RoutingTable = { ...table('v1'), backends: [backend('web', [])] };
  await writeFile(path, JSON.stringify(edited));
  await source.reload();
  assert.equal(tables.length, 1);
  assert.match(tables[0]!.version, /^v1\+[0-9a-f]{12}$/);
  assert.equal((source.status() as { version: string }).version, tables[0]!.version);
  assert.ok(lines.some((l) => /kept its version/.test(l.msg) && l.version === tables[0]!.version));
  await writeFile(path, JSON.stringify(table('v2')));
  await source.reload();
  assert.equal(tables[1]!.version, 'v2', 'a new version is served as it is');
});

test('overlapping reloads run one after the other, so the file as it is last is what is served', async (t) => {
  const path = await tempFile(t);
  const dir = dirname(path);
  await writeFile(join(dir, 'v1.json'), JSON.stringify(table('v1')));
  await writeFile(join(dir, 'v3.json'), JSON.stringify(table('v3')));
  // `path` is a symlink, re-pointed by rename as config tools replace files. Pointing at a FIFO, a
  // read blocks until the test writes into it: a slow read that the next edit overtakes.
  const pointTo = async (target: string) => {
    await symlink(target, `${path}.new`);
    await rename(`${path}.new`, path);
  };
  await pointTo('v1.json');
  const fifo = join(dir, 'slow.fifo');
  execFileSync('mkfifo', [fifo]);
  const source = new FileSource(path, pino({ level: 'silent' }), 60_000);
  t.after(() => source.close());
  await source.start();
  const served: string[] = [];
  source.on('table', (next) => served.push(next.version));

  await pointTo('slow.fifo');
  const slow = source.reload();
  await sleep(100); // the slow read has opened the FIFO
  await pointTo('v3.json');
  const fast = source.reload();
  await writeFile(fifo, JSON.stringify(table('v2')));
  await Promise.all([slow, fast]);
  assert.deepEqual(served, ['v2', 'v3']);
  assert.equal((source.status() as { version: string }).version, 'v3');
});
