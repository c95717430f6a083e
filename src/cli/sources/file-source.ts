import { EventEmitter } from 'node:events';
import { type Stats, unwatchFile, watchFile } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { RoutingTable } from '../../routing/table.js';
import { readTableFile } from './table-file-reader.js';
import type { TableSource, TableSourceEvents } from './table-source.js';

/**
 * Routing tables from a JSON file (static backends, benchmarks, or a table saved from a controller).
 * The file is re-read when it changes; a bad file is reported and the last good table stays. Reading
 * and validation run on a worker thread ({@link readTableFile}), off the event loop that serves requests.
 *
 * @example
 * const source = new FileSource('/etc/swarmgate/table.json', logger);
 * gateway.setTable(await source.start());
 */
export class FileSource extends EventEmitter<TableSourceEvents> implements TableSource {
  readonly #path: string;
  readonly #logger: Logger;
  readonly #pollMs: number;
  /** The version served: the file's, or one derived from its content (see `reload`). */
  #version: string | undefined;
  /** The `version` the file itself gave last time, and a digest of its whole text. */
  #fileVersion: string | undefined;
  #digest: string | undefined;
  #lastError: string | undefined;
  /** The file's identity, size and mtime when the last read began (see `start`'s watch). */
  #readStat: string | undefined;
  /** The reload running now, and whether another was asked for since it began. */
  #reloading: Promise<void> | undefined;
  #reloadAgain = false;

  constructor(path: string, logger: Logger, pollMs = 1000) {
    super();
    this.#path = path;
    this.#logger = logger;
    this.#pollMs = pollMs;
  }

  /** Reads the file; a missing or invalid file at start is a configuration error. */
  async start(): Promise<RoutingTable> {
    this.#readStat = await this.#statKey();
    const { table, digest } = await readTableFile(this.#path);
    this.#version = this.#fileVersion = table.version;
    this.#digest = digest;
    // Polling (not fs.watch) survives editors and config tools that replace the file by renaming. A
    // change already read (a SIGHUP came first) is not read again: a large table costs seconds of CPU.
    watchFile(this.#path, { interval: this.#pollMs, persistent: false }, (current) => {
      if (statKey(current) !== this.#readStat) void this.reload();
    });
    return table;
  }

  /**
   * Re-reads the file now (also on SIGHUP); keeps the last good table when the file is bad. A file
   * edited by hand often keeps its `version`, which the gateway takes for "no change": its content
   * decides instead, and such a table is served under a version derived from it, with a warning.
   *
   * Reloads run one at a time: two overlapping reads could finish in either order and leave the older
   * content served. Asked for while one runs, a reload runs once more after it (however often it was
   * asked), and the promise resolves when the file as it was at the call has been read.
   */
  reload(): Promise<void> {
    this.#reloadAgain = true;
    this.#reloading ??= this.#reloadWhileAsked();
    return this.#reloading;
  }

  async #reloadWhileAsked(): Promise<void> {
    try {
      while (this.#reloadAgain) {
        this.#reloadAgain = false;
        await this.#reloadOnce();
      }
    } finally {
      // In the same turn as the last check of the flag: a reload asked for after it starts a new run.
      this.#reloading = undefined;
    }
  }

  async #reloadOnce(): Promise<void> {
    try {
      this.#readStat = await this.#statKey();
      const { table, digest } = await readTableFile(this.#path);
      this.#lastError = undefined;
      if (digest === this.#digest) return;
      this.#digest = digest;
      const keptVersion = table.version === this.#fileVersion;
      this.#fileVersion = table.version;
      const served = keptVersion ? { ...table, version: `${table.version}+${digest.slice(0, 12)}` } : table;
      if (keptVersion) {
        this.#logger.warn(
          { version: served.version },
          'table file changed but kept its version; serving it under a version derived from its content',
        );
      }
      this.#version = served.version;
      this.emit('table', served, { cause: 'file' });
    } catch (err) {
      this.#lastError = (err as Error).message;
      this.#logger.error(
        { code: 'SG_ERR_CONFIG', err: this.#lastError },
        'table file rejected; keeping the last good table',
      );
    }
  }

  status(): unknown {
    return {
      source: 'file',
      path: this.#path,
      version: this.#version ?? null,
      lastError: this.#lastError ?? null,
    };
  }

  async close(): Promise<void> {
    unwatchFile(this.#path);
  }

  async #statKey(): Promise<string | undefined> {
    return stat(this.#path).then(statKey, () => undefined);
  }
}

/** What the watch compares: a file replaced by rename has a new inode, an edit a new mtime or size. */
function statKey(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}
