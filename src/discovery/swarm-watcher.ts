import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { type ErrorCode, SwarmgateError } from '../errors.js';
import { reconnectDelay } from './backoff.js';
import type { EngineClient, EngineEvent, EventFilters } from './engine-client.js';
import { type EngineLists, snapshotFromEngine } from './engine-snapshot.js';
import { HostPortMemory } from './host-port-memory.js';
import type { SwarmSnapshot } from './snapshot.js';

export type SnapshotCause = 'initial' | 'event' | 'relist';

/** Where a snapshot came from, so callers can report how long after the swarm change it arrived. */
export interface SnapshotMeta {
  /** When the lists behind this snapshot were complete (ms since the epoch). */
  takenAt: number;
  cause: SnapshotCause;
  /**
   * The swarm-side time of the change (ms since the epoch): the oldest event that triggered the refresh,
   * or, for a re-list, the newest task `updatedAt`. Absent when unknown.
   */
  eventTime?: number;
}

/** The watcher's health. While `stale`, the snapshot is the last good one and may be outdated. */
export interface WatcherStatus {
  /** The event stream is open. */
  connected: boolean;
  /** The last refresh failed. */
  stale: boolean;
  /** When the first failed refresh of this stale period happened (ms since the epoch). */
  staleSinceMs?: number;
  lastError?: { code: ErrorCode; message: string };
}

export interface SwarmWatcherOptions {
  /** Quiet time after an event before refreshing, so a burst of events costs one refresh. Default 100. */
  debounceMs?: number;
  /** Period of the task re-list, the ground truth (swarm has no task events). Default 2000. */
  relistIntervalMs?: number;
  /**
   * Re-list period for a while after an event. A service event (scale, update) is followed by task state
   * changes that have no events of their own; this catches them quickly. Default 250.
   */
  eventRelistIntervalMs?: number;
  /** How long after the last event the faster re-list lasts. Default 10000. */
  eventRelistWindowMs?: number;
  /** First reconnect delay of the event stream; doubles up to `reconnectMaxMs`, with jitter. Default 250. */
  reconnectMinMs?: number;
  /** Default 10000. */
  reconnectMaxMs?: number;
}

interface SwarmWatcherEvents {
  snapshot: [snapshot: SwarmSnapshot, meta: SnapshotMeta];
  status: [status: WatcherStatus];
}

interface RefreshRequest {
  cause: SnapshotCause;
  eventTime?: number;
  /** Re-list services, nodes and networks too, not only tasks. */
  full: boolean;
}

/** Swarm-scoped events only: containers joining local networks would wake us for nothing. */
const EVENT_FILTERS: EventFilters = { type: ['service', 'node', 'network'], scope: ['swarm'] };

/**
 * Keeps a current {@link SwarmSnapshot}: one full list at start, then a debounced full refresh on every
 * service, node or network event, and a periodic task re-list. Emits `snapshot` only when the content
 * changed, and `status` when the connection state changed. While Docker cannot be reached it keeps the
 * last good snapshot, marks it stale and reconnects with capped, jittered backoff. Nothing is thrown
 * from the loop; errors show up in `status`.
 *
 * @example
 * const watcher = new SwarmWatcher(new EngineClient(resolveDockerEndpoint()));
 * watcher.on('snapshot', (snapshot, meta) => log.info({ cause: meta.cause }, 'swarm changed'));
 * await watcher.start(); // rejects with the first SG_ERR_DOCKER_* error
 * await watcher.close();
 */
export class SwarmWatcher extends EventEmitter<SwarmWatcherEvents> {
  #client: EngineClient;
  #debounceMs: number;
  #relistIntervalMs: number;
  #eventRelistIntervalMs: number;
  #eventRelistWindowMs: number;
  #reconnectMinMs: number;
  #reconnectMaxMs: number;

  #snapshot: SwarmSnapshot | undefined;
  /** Host ports per task across snapshots: the engine forgets them after a manager restart. */
  #hostPorts = new HostPortMemory();
  #lists: EngineLists | undefined;
  #status: WatcherStatus = { connected: false, stale: false };
  #state: 'new' | 'running' | 'closed' = 'new';
  /** Aborts everything in flight on close. */
  #lifetime = new AbortController();
  /** Aborts the current event stream, to reconnect it. */
  #streamAbort: AbortController | undefined;
  #eventLoop: Promise<void> | undefined;
  #relistTimer: NodeJS.Timeout | undefined;
  /** Until when (ms since the epoch) re-lists run at the faster after-event period. */
  #fastRelistUntil = 0;
  #debounceTimer: NodeJS.Timeout | undefined;
  #debouncedEventTime: number | undefined;
  #pending: RefreshRequest | undefined;
  #refreshing: Promise<void> | undefined;

  /** The client is the caller's: `close()` leaves it open. Does no I/O. */
  constructor(client: EngineClient, options: SwarmWatcherOptions = {}) {
    super();
    this.#client = client;
    this.#debounceMs = options.debounceMs ?? 100;
    this.#relistIntervalMs = options.relistIntervalMs ?? 2000;
    this.#eventRelistIntervalMs = Math.min(options.eventRelistIntervalMs ?? 250, this.#relistIntervalMs);
    this.#eventRelistWindowMs = options.eventRelistWindowMs ?? 10_000;
    this.#reconnectMinMs = options.reconnectMinMs ?? 250;
    this.#reconnectMaxMs = options.reconnectMaxMs ?? 10_000;
  }

  /** The last good snapshot; undefined before `start()` resolved. */
  get snapshot(): SwarmSnapshot | undefined {
    return this.#snapshot;
  }

  get status(): WatcherStatus {
    return this.#status;
  }

  /**
   * Lists the swarm once, emits the first `snapshot`, then keeps watching. Resolves with the first
   * snapshot, or rejects with the first error (and stops) so that a CLI can print one line and exit.
   */
  async start(): Promise<SwarmSnapshot> {
    if (this.#state !== 'new') throw new Error('SwarmWatcher.start() may be called once');
    this.#state = 'running';
    let snapshot: SwarmSnapshot;
    try {
      snapshot = snapshotFromEngine(await this.#list(true));
    } catch (error) {
      await this.close();
      throw error;
    }
    this.#publish(snapshot, { takenAt: Date.now(), cause: 'initial' });
    this.#scheduleRelist();
    this.#eventLoop = this.#watchEvents();
    return snapshot;
  }

  /** Stops timers, the event stream and calls in flight. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#lifetime.abort();
    clearTimeout(this.#relistTimer);
    clearTimeout(this.#debounceTimer);
    await this.#eventLoop;
    await this.#refreshing;
  }

  async #watchEvents(): Promise<void> {
    let attempt = 0;
    while (this.#state === 'running') {
      const streamAbort = new AbortController();
      this.#streamAbort = streamAbort;
      try {
        const events = await this.#client.events(
          EVENT_FILTERS,
          AbortSignal.any([this.#lifetime.signal, streamAbort.signal]),
        );
        attempt = 0;
        this.#setStatus({ ...this.#status, connected: true });
        // Whatever changed while the stream was down has no event: catch up with a full list.
        this.#requestRefresh({ cause: 'relist', full: true });
        for await (const event of events) this.#onEvent(event);
      } catch (error) {
        if (this.#state !== 'running') return;
        if (!streamAbort.signal.aborted) this.#setStatus({ ...this.#status, lastError: errorInfo(error) });
      }
      if (this.#state !== 'running') return;
      this.#setStatus({ ...this.#status, connected: false });
      // The stream usually ends because the daemon went away: find out now rather than at the next re-list.
      this.#requestRefresh({ cause: 'relist', full: true });
      await sleep(reconnectDelay(attempt++, this.#reconnectMinMs, this.#reconnectMaxMs), undefined, {
        signal: this.#lifetime.signal,
      }).catch(() => {});
    }
  }

  #scheduleRelist(): void {
    clearTimeout(this.#relistTimer);
    if (this.#state !== 'running') return;
    const fast = Date.now() < this.#fastRelistUntil;
    this.#relistTimer = setTimeout(
      () => {
        this.#requestRefresh({ cause: 'relist', full: !this.#status.connected });
        this.#scheduleRelist();
      },
      fast ? this.#eventRelistIntervalMs : this.#relistIntervalMs,
    );
  }

  #onEvent(event: EngineEvent): void {
    const wasFast = Date.now() < this.#fastRelistUntil;
    this.#fastRelistUntil = Date.now() + this.#eventRelistWindowMs;
    if (!wasFast) this.#scheduleRelist();
    const time = event.timeNano === undefined ? undefined : event.timeNano / 1e6;
    if (time !== undefined) this.#debouncedEventTime = Math.min(this.#debouncedEventTime ?? time, time);
    if (this.#debounceTimer !== undefined) return;
    this.#debounceTimer = setTimeout(() => {
      const request: RefreshRequest = { cause: 'event', full: true };
      if (this.#debouncedEventTime !== undefined) request.eventTime = this.#debouncedEventTime;
      this.#debounceTimer = undefined;
      this.#debouncedEventTime = undefined;
      this.#requestRefresh(request);
    }, this.#debounceMs);
  }

  /** Queues a refresh. Requests that arrive while one runs merge into a single next refresh. */
  #requestRefresh(request: RefreshRequest): void {
    if (this.#state !== 'running') return;
    this.#pending = this.#pending === undefined ? request : mergeRequests(this.#pending, request);
    this.#refreshing ??= this.#drainRefreshes();
  }

  async #drainRefreshes(): Promise<void> {
    try {
      for (let request = this.#pending; request !== undefined; request = this.#pending) {
        this.#pending = undefined;
        await this.#refresh(request);
        if (this.#state !== 'running') return;
      }
    } finally {
      // In the same tick as the last look at #pending, so no request can slip in between.
      this.#refreshing = undefined;
    }
  }

  async #refresh(request: RefreshRequest): Promise<void> {
    let snapshot: SwarmSnapshot;
    try {
      snapshot = this.#hostPorts.restore(snapshotFromEngine(await this.#list(request.full)), Date.now());
    } catch (error) {
      if (this.#state !== 'running') return;
      this.#markStale(error);
      return;
    }
    if (this.#state !== 'running') return;
    const takenAt = Date.now();
    if (this.#status.stale || this.#status.lastError) {
      this.#setStatus({ connected: this.#status.connected, stale: false });
    }
    const eventTime = request.cause === 'relist' ? newestTaskUpdate(snapshot) : request.eventTime;
    const meta: SnapshotMeta = { takenAt, cause: request.cause };
    if (eventTime !== undefined) meta.eventTime = eventTime;
    this.#publish(snapshot, meta);
  }

  /** Lists tasks, and with `full` (or when nothing is cached) services, nodes and networks too. */
  async #list(full: boolean): Promise<EngineLists> {
    const signal = this.#lifetime.signal;
    const cached = this.#lists;
    if (full || cached === undefined) {
      const [services, tasks, nodes, networks] = await settleAll([
        this.#client.listServices(signal),
        this.#client.listTasks(signal),
        this.#client.listNodes(signal),
        this.#client.listNetworks(signal),
      ]);
      this.#lists = { services, tasks, nodes, networks };
    } else {
      this.#lists = { ...cached, tasks: await this.#client.listTasks(signal) };
    }
    return this.#lists;
  }

  #markStale(error: unknown): void {
    const lastError = errorInfo(error);
    this.#setStatus({
      connected: this.#status.connected,
      stale: true,
      staleSinceMs: this.#status.staleSinceMs ?? Date.now(),
      lastError,
    });
    // A stream on a dead TCP connection may never end by itself; reconnecting it tells.
    if (lastError.code === 'SG_ERR_DOCKER_UNREACHABLE') this.#streamAbort?.abort();
  }

  #publish(snapshot: SwarmSnapshot, meta: SnapshotMeta): void {
    if (isDeepStrictEqual(snapshot, this.#snapshot)) return;
    this.#snapshot = snapshot;
    this.#emitFromLoop('snapshot', snapshot, meta);
  }

  #setStatus(status: WatcherStatus): void {
    if (isDeepStrictEqual(status, this.#status)) return;
    this.#status = status;
    this.#emitFromLoop('status', status);
  }

  /** A throwing listener is the listener's bug, not a Docker failure: rethrow it outside the loop. */
  #emitFromLoop<K extends keyof SwarmWatcherEvents>(name: K, ...args: SwarmWatcherEvents[K]): void {
    try {
      (this.emit as (name: K, ...args: SwarmWatcherEvents[K]) => boolean)(name, ...args);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }
}

/** Like `Promise.all`, but rejects only once every call is done, so none is left running behind a failure. */
async function settleAll<T extends unknown[]>(calls: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(calls);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as T;
}

function mergeRequests(a: RefreshRequest, b: RefreshRequest): RefreshRequest {
  const merged: RefreshRequest = { cause: a.cause === 'event' ? a.cause : b.cause, full: a.full || b.full };
  const times = [a.eventTime, b.eventTime].filter((t) => t !== undefined);
  if (times.length > 0) merged.eventTime = Math.min(...times);
  return merged;
}

function newestTaskUpdate(snapshot: SwarmSnapshot): number | undefined {
  const times = snapshot.tasks.map((t) => (t.updatedAt ? Date.parse(t.updatedAt) : Number.NaN));
  const newest = Math.max(...times.filter((t) => !Number.isNaN(t)));
  return Number.isFinite(newest) ? newest : undefined;
}

function errorInfo(error: unknown): { code: ErrorCode; message: string } {
  if (error instanceof SwarmgateError) return { code: error.code, message: error.message };
  // Only a bug gets here: every Docker failure is already a SwarmgateError.
  return { code: 'SG_ERR_DOCKER_RESPONSE', message: error instanceof Error ? error.message : String(error) };
}
