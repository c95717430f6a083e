import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTableFile } from '../../../src/cli/sources/table-file-reader.js';
import { SwarmgateError } from '../../../src/errors.js';
import type { RoutingTable } from '../../../src/routing/table.js';
import { parseRoutingTable } from '../../../src/routing/table-schema.js';
import { backend, route, table, upstream } from '../dataplane/upstreams/table-fixtures.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sg-reader-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A valid table of `size` routes, one backend of two upstreams each, written the way a person might (`/` paths, mixed-case hosts). */
function largeTable(size: number, version: string): RoutingTable {
  const routes = [];
  const backends = [];
  for (let i = 0; i < size; i++) {
    routes.push(route(`s${i}/default`, `s${i}`, { hosts: [`S${i}.Example.com`] }));
    backends.push(backend(`s${i}`, [upstream(`task:s${i}a:80`), upstream(`task:s${i}b:80`)]));
  }
  return table(routes, backends, version);
}

const configError = (pattern: RegExp) => (err: unknown) =>
  err instanceof SwarmgateError && err.code === 'SG_ERR_CONFIG' && pattern.test(err.message);

test('a good table file comes back validated (normal form) with the digest of its text', async (t) => {
  const path = join(await tempDir(t), 'table.json');
  const text = JSON.stringify(largeTable(1500, 'v1'));
  await writeFile(path, text);
  let turns = 0;
  const tick = () => {
    turns++;
    ticker = setImmediate(tick);
  };
  let ticker = setImmediate(tick);
  t.after(() => clearImmediate(ticker));
  const priority = getPriority();
  const { table: read, digest } = await readTableFile(path);
  const expected = parseRoutingTable(JSON.parse(text));
  assert.ok(expected.ok);
  assert.deepEqual(read, expected.table);
  assert.equal(read.routes[7]!.hosts[0], 's7.example.com', 'hosts in normal form');
  assert.equal(digest, createHash('sha256').update(text).digest('hex'));
  assert.ok(turns > 10, `the event loop turned ${turns} times while the table came back`);
  assert.equal(getPriority(), priority, "the loader's lower priority is its own thread's, not the process's");
});

test('a missing, non-JSON or invalid file is SG_ERR_CONFIG with the problem', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(
    readTableFile(join(dir, 'none.json')),
    configError(/^cannot read table file .*none\.json: ENOENT/),
  );
  await writeFile(join(dir, 'broken.json'), '{ not json');
  await assert.rejects(readTableFile(join(dir, 'broken.json')), configError(/broken\.json is not JSON: /));
  const invalid = { version: 'v1', routes: [{ id: 'x' }], backends: [] };
  await writeFile(join(dir, 'invalid.json'), JSON.stringify(invalid));
  const errors = parseRoutingTable(invalid);
  assert.ok(!errors.ok);
  await assert.rejects(
    readTableFile(join(dir, 'invalid.json')),
    (err: unknown) =>
      err instanceof SwarmgateError &&
      err.message === `table file ${join(dir, 'invalid.json')} is invalid: ${errors.errors.join('; ')}`,
  );
});

test('a file replaced while it is read gives one whole table, and the next read the new one', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'table.json');
  await writeFile(path, JSON.stringify(largeTable(2000, 'old')));
  await writeFile(join(dir, 'next.json'), JSON.stringify(largeTable(10, 'new')));
  const reading = readTableFile(path);
  await rename(join(dir, 'next.json'), path);
  const { table: first } = await reading;
  assert.equal(first.routes.length, first.version === 'old' ? 2000 : 10, 'never a mix of two files');
  const { table: second } = await readTableFile(path);
  assert.equal(second.version, 'new');
  assert.equal(second.routes.length, 10);
});
