import { readFile } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { SwarmgateError } from '../../errors.js';
import type { Backend, Route, RoutingTable } from '../../routing/table.js';

/**
 * What the table file worker posts: a validated table as JSON slices (rebuilding it from JSON is
 * cheaper than a structured clone, and slices can be parsed between requests), or the reason the file
 * was refused.
 */
export type TableFileMessage =
  | { ok: true; digest: string; rest: string; routes: string[]; backends: string[] }
  | { ok: false; message: string };

/** A table file read and validated, and the SHA-256 (hex) of its whole text. */
export interface TableFile {
  table: RoutingTable;
  digest: string;
}

/**
 * Reads a table file, then parses and validates it on a worker thread, so a large table (10,000
 * routes: 13 MB, hundreds of ms of `JSON.parse` and validation) does not stall the requests served
 * meanwhile. The validated table comes back in slices, each parsed in its own turn of the event loop.
 * A missing, non-JSON or invalid file rejects with `SG_ERR_CONFIG` and one line per problem.
 *
 * @example
 * const { table, digest } = await readTableFile('/etc/swarmgate/table.json');
 */
export async function readTableFile(path: string): Promise<TableFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new SwarmgateError('SG_ERR_CONFIG', `cannot read table file ${path}: ${(err as Error).message}`);
  }
  const message = await runWorker(path, bytes);
  if (!message.ok) throw new SwarmgateError('SG_ERR_CONFIG', message.message);
  const rest = JSON.parse(message.rest) as Omit<RoutingTable, 'routes' | 'backends'>;
  const routes = await parseSlices<Route>(message.routes);
  const backends = await parseSlices<Backend>(message.backends);
  return { table: { ...rest, routes, backends }, digest: message.digest };
}

function runWorker(path: string, bytes: Uint8Array): Promise<TableFileMessage> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./table-file-worker.js', import.meta.url), {
      workerData: { path, bytes },
    });
    let answered = false;
    worker.once('message', (message: TableFileMessage) => {
      answered = true;
      resolve(message);
    });
    worker.once('error', (err) =>
      reject(new SwarmgateError('SG_ERR_CONFIG', `cannot load table file ${path}: ${err.message}`)),
    );
    worker.once('exit', (code) => {
      if (!answered)
        reject(
          new SwarmgateError('SG_ERR_CONFIG', `cannot load table file ${path}: loader exited with ${code}`),
        );
    });
  });
}

async function parseSlices<T>(slices: readonly string[]): Promise<T[]> {
  const items: T[] = [];
  for (const slice of slices) {
    await nextTurn();
    for (const item of JSON.parse(slice) as T[]) items.push(item);
  }
  return items;
}
