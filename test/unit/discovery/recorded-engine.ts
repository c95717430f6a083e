import { readFileSync } from 'node:fs';
import type { EngineLists } from '../../../src/discovery/engine-snapshot.js';
import { fixturePath } from '../../support/paths.js';

/** The Engine API lists recorded from the rig for one scenario under `test/fixtures/engine/`. */
export function recorded(scenario: string): EngineLists {
  const read = (list: string): unknown[] =>
    JSON.parse(readFileSync(fixturePath('engine', scenario, `${list}.json`), 'utf8'));
  return {
    services: read('services'),
    tasks: read('tasks'),
    nodes: read('nodes'),
    networks: read('networks'),
  };
}
