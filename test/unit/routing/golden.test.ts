import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { type EngineLists, snapshotFromEngine } from '../../../src/discovery/engine-snapshot.js';
import type { TranslateContext } from '../../../src/routing/table.js';
import { translate } from '../../../src/routing/translate.js';
import { fixturePath } from '../../support/paths.js';

// Real Engine API recordings from the swarm rig (see test/golden/record.ts) in, routing tables out.
// UPDATE_GOLDEN=1 rewrites expected.json; review the diff before committing it.
const goldenDir = fixturePath('golden');
const update = process.env.UPDATE_GOLDEN === '1';
const cases = readdirSync(goldenDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(resolve(goldenDir, entry.name, 'engine.json')))
  .map((entry) => entry.name)
  .sort();

function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(resolve(goldenDir, ...parts), 'utf8')) as T;
}

test('there are golden cases', () => {
  assert.ok(cases.length >= 5, `only ${cases.length} cases under ${goldenDir}`);
});

for (const name of cases) {
  test(`golden: ${name}`, () => {
    const snapshot = snapshotFromEngine(readJson<EngineLists>(name, 'engine.json'));
    const table = translate(snapshot, readJson<TranslateContext>(name, 'context.json'));
    const expectedPath = resolve(goldenDir, name, 'expected.json');
    if (update) writeFileSync(expectedPath, `${JSON.stringify(table, null, 2)}\n`);
    assert.deepStrictEqual(table, readJson(name, 'expected.json'));
  });
}
