import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { FileSource } from '../../../src/cli/sources/file-source.js';
import { SwarmgateError } from '../../../src/errors.js';
import type { RoutingTable } from '../../../src/routing/table.js';

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
