/**
 * The `swarmgate/swarmgate:dev` image on every node of the rig, built from the current `dist/src`:
 * `rig.sh image swarmgate` rebuilds it when any input changed (its cache key hashes dist/src, so a
 * stale image is never deployed) and loads it where it is missing.
 *
 * @example
 * await ensureSwarmgateImage(rig);
 * await rig.deployStack('gw', compose); // image: swarmgate/swarmgate:dev
 */
import { access } from 'node:fs/promises';
import { RIG_IMAGES, RIG_SH, type Rig } from '../../rig/index.js';
import { run } from '../../rig/run.js';
import { SWARMGATE_MAIN } from './gateway-process.js';

/** Builds (if needed) and loads the swarmgate image; resolves with its image id on node 1. */
export async function ensureSwarmgateImage(rig: Rig): Promise<string> {
  await access(SWARMGATE_MAIN).catch(() => {
    throw new Error(`${SWARMGATE_MAIN} is missing: build first (npx tsc -p .)`);
  });
  // rig.sh picks the instance from SG_RIG_ID, which the child inherits like Rig.load() reads it.
  await run('bash', [RIG_SH, 'image', 'swarmgate'], { timeoutMs: 15 * 60_000 });
  return (await rig.docker(['image', 'inspect', '--format', '{{.Id}}', RIG_IMAGES.swarmgate])).trim();
}
