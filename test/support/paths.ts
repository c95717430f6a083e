import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, whether this runs from `test/` sources or from the compiled `dist/test/`. */
export const repoRoot = ((): string => {
  const here = dirname(fileURLToPath(import.meta.url));
  const up = here.includes(`${'/'}dist${'/'}`) ? '../../..' : '../..';
  return resolve(here, up);
})();

/** Absolute path of a file under `test/fixtures`. */
export function fixturePath(...parts: string[]): string {
  return resolve(repoRoot, 'test', 'fixtures', ...parts);
}
