/**
 * Worker entry of `readTableFile`: parses and validates the bytes of one table file on its own thread,
 * then posts the result and ends. See `table-file-reader.ts` for the message it posts.
 */
import { createHash } from 'node:crypto';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { parseRoutingTable } from '../../routing/table-schema.js';
import type { TableFileMessage } from './table-file-reader.js';

/** Routes or backends per JSON slice: small enough that parsing one on the event loop takes about a millisecond. */
const SLICE_ITEMS = 100;

// On Linux a nice value is per thread: nice 10 leaves the thread serving requests ~90% of a core they
// share (evenly, otherwise: every request would wait), and still lets a large table load in seconds.
if (process.platform === 'linux') setPriority(10);

const { path, bytes } = workerData as { path: string; bytes: Uint8Array };
parentPort!.postMessage(
  load(path, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')),
);

function load(path: string, text: string): TableFileMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `table file ${path} is not JSON: ${(err as Error).message}` };
  }
  const parsed = parseRoutingTable(json);
  if (!parsed.ok) return { ok: false, message: `table file ${path} is invalid: ${parsed.errors.join('; ')}` };
  const { routes, backends, ...rest } = parsed.table;
  return {
    ok: true,
    digest: createHash('sha256').update(text).digest('hex'),
    rest: JSON.stringify(rest),
    routes: slices(routes),
    backends: slices(backends),
  };
}

function slices(items: readonly unknown[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < items.length; i += SLICE_ITEMS)
    out.push(JSON.stringify(items.slice(i, i + SLICE_ITEMS)));
  return out;
}
