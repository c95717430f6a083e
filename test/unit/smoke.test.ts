import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fixturePath, repoRoot } from '../support/paths.js';

test('repoRoot resolves to the repository', () => {
  assert.ok(existsSync(`${repoRoot}/package.json`));
  assert.ok(fixturePath('x').startsWith(`${repoRoot}/test/fixtures/`));
});
