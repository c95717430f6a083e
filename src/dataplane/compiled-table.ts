import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Route, RoutingTable } from '../routing/table.js';
import { type Balancer, createBalancer } from './balancers/balancer.js';
import { createHostMapMatcher } from './router/host-map-matcher.js';
import type { RouteMatcher } from './router/matcher.js';
import { findCookie } from './sticky/cookie-header.js';
import { buildSetCookie } from './sticky/set-cookie.js';
import { StickyMap } from './sticky/sticky-map.js';
import { type UpstreamHandle, UpstreamRegistry } from './upstreams/upstream-registry.js';

/** How a table is compiled for this gateway. */
export interface CompileOptions {
  role: 'run' | 'border' | 'ingress';
  /** HMAC key for sticky cookie values; every gateway that must agree on pins shares it. */
  stickySecret: Buffer;
  /** Sticky grace for draining upstreams; defaults to the registry's `drainTimeoutMs`. */
  drainTimeoutMs?: number;
}

/**
 * A routing table ready for requests: immutable, swapped in with one assignment. Requests that started
 * on an older one finish on it.
 *
 * @example
 * current = compileTable(table, registry, { role: 'border', stickySecret });
 * const m = current.match(req.headers.host, req.url ?? '/');
 * const sel = m?.route.select(req.headers.cookie, isHttps, failedIds);
 */
export interface CompiledTable {
  readonly version: string;
  readonly role: CompileOptions['role'];
  readonly table: RoutingTable;
  /** In table order. */
  readonly routes: readonly CompiledRoute[];
  match(host: string | undefined, pathAndQuery: string): RouteMatch | undefined;
}

/** A matched route and the path+query to forward (after strip-path, always starting with `/`). */
export interface RouteMatch {
  route: CompiledRoute;
  forwardPath: string;
}

/** A route with its upstream handles, balancer and sticky map. */
export interface CompiledRoute {
  readonly route: Route;
  readonly upstreams: readonly UpstreamHandle[];
  /**
   * Picks the upstream for a request: honours a valid sticky cookie whose upstream is `stickyUsable`;
   * otherwise balances among `available()` upstreams and, for a sticky route, returns the Set-Cookie
   * that (re-)pins the client. `exclude` = upstream ids that already failed for this request (retries).
   * `undefined` when no upstream can take the request. The returned object is shared: do not mutate it.
   */
  select(
    cookieHeader: string | undefined,
    secure: boolean,
    exclude?: ReadonlySet<string>,
  ): Selection | undefined;
}

/** The chosen upstream and, when the client must be (re-)pinned, the Set-Cookie header value. */
export interface Selection {
  readonly upstream: UpstreamHandle;
  readonly setCookie?: string;
}

/**
 * Syncs the registry with the table, then builds the matcher, balancers and sticky maps once.
 *
 * @example
 * const compiled = compileTable(table, registry, { role: 'run', stickySecret: randomBytes(32) });
 */
export function compileTable(
  table: RoutingTable,
  registry: UpstreamRegistry,
  opts: CompileOptions,
): CompiledTable {
  let compiled: CompiledTable | undefined;
  const steps = compileSteps(table, registry, opts, (done) => {
    compiled = done;
  });
  while (!steps.next().done);
  return compiled!;
}

/**
 * {@link compileTable} in slices of about 5 ms, each in its own turn of the event loop, so
 * requests keep being served while a large table (10,000 routes × 5 upstreams) compiles. `swapIn` gets
 * the complete table (to make it current with one assignment); the upstreams that left the table are
 * retired after it, in slices too. Resolves when all is done; one at a time per registry.
 *
 * @example
 * await compileTableInSlices(table, registry, { role: 'run', stickySecret }, (next) => { current = next; });
 */
export async function compileTableInSlices(
  table: RoutingTable,
  registry: UpstreamRegistry,
  opts: CompileOptions,
  swapIn: (compiled: CompiledTable) => void,
): Promise<void> {
  let sliceStart = performance.now();
  for (const _ of compileSteps(table, registry, opts, swapIn)) {
    if (performance.now() - sliceStart < SLICE_MS) continue;
    await nextTurn();
    sliceStart = performance.now();
  }
}

/** Time a slice of {@link compileTableInSlices} may take before requests get their turn. */
const SLICE_MS = 5;
/** Upstreams admitted or retired, or routes built, between two checks of the slice's time. */
const STEP_ITEMS = 100;

/** The compile, pausing (`yield`) where a slice may end. */
function* compileSteps(
  table: RoutingTable,
  registry: UpstreamRegistry,
  opts: CompileOptions,
  swapIn: (compiled: CompiledTable) => void,
): Generator<void, void> {
  const upstreams = UpstreamRegistry.upstreamsOf(table);
  yield* inSlices([...upstreams.values()], (slice) => registry.admit(slice));
  const backends = new Map(table.backends.map((b) => [b.id, b]));
  const routes: StickyBalancedRoute[] = [];
  yield* inSlices(table.routes, (slice) => {
    for (const route of slice) {
      const handles: UpstreamHandle[] = [];
      for (const upstream of backends.get(route.backend)?.upstreams ?? []) {
        const handle = registry.get(upstream.id);
        if (handle && !handles.includes(handle)) handles.push(handle);
      }
      routes.push(new StickyBalancedRoute(route, handles, opts));
    }
  });
  const matcher = createHostMapMatcher(routes.map((r) => ({ rule: r.route, value: r as CompiledRoute })));
  yield;
  registry.syncChecks(table);
  swapIn(Object.freeze(new Table(table, opts.role, routes, matcher)));
  yield;
  // After the swap: no request can pick these any more; running ones finish before the pools close.
  const gone: string[] = [];
  yield* inSlices(registry.liveIds(), (slice) => {
    for (const id of slice) if (!upstreams.has(id)) gone.push(id);
  });
  yield* inSlices(gone, (slice) => registry.retire(slice));
}

/** Calls `take` for consecutive steps of `items`, pausing after each. */
function* inSlices<T>(items: readonly T[], take: (slice: readonly T[]) => void): Generator<void, void> {
  for (let i = 0; i < items.length; i += STEP_ITEMS) {
    take(items.slice(i, i + STEP_ITEMS));
    yield;
  }
}

class Table implements CompiledTable {
  readonly version: string;
  readonly role: CompileOptions['role'];
  readonly table: RoutingTable;
  readonly routes: readonly CompiledRoute[];
  readonly #matcher: RouteMatcher<CompiledRoute>;

  constructor(
    table: RoutingTable,
    role: CompileOptions['role'],
    routes: readonly CompiledRoute[],
    matcher: RouteMatcher<CompiledRoute>,
  ) {
    this.version = table.version;
    this.role = role;
    this.table = table;
    this.routes = Object.freeze(routes);
    this.#matcher = matcher;
  }

  match(host: string | undefined, pathAndQuery: string): RouteMatch | undefined {
    return this.#matcher.match(host, pathAndQuery);
  }
}

/** Precomputed answers for one upstream of a route, so `select` allocates nothing. */
interface Pin {
  plain: Selection;
  repinHttp: Selection;
  repinHttps: Selection;
}

class StickyBalancedRoute implements CompiledRoute {
  readonly route: Route;
  readonly upstreams: readonly UpstreamHandle[];
  readonly #balancer: Balancer;
  readonly #sticky: StickyMap<UpstreamHandle> | undefined;
  readonly #pins = new Map<UpstreamHandle, Pin>();
  readonly #drainTimeoutMs: number | undefined;

  constructor(route: Route, upstreams: UpstreamHandle[], opts: CompileOptions) {
    this.route = route;
    this.upstreams = Object.freeze(upstreams);
    this.#balancer = createBalancer(route.balance);
    this.#drainTimeoutMs = opts.drainTimeoutMs;
    const sticky = route.sticky;
    this.#sticky = sticky ? new StickyMap(opts.stickySecret, route.id, upstreams) : undefined;
    for (const upstream of upstreams) {
      const plain = Object.freeze({ upstream });
      const value = this.#sticky?.valueOf(upstream.id);
      if (sticky === null || value === undefined) {
        this.#pins.set(upstream, { plain, repinHttp: plain, repinHttps: plain });
        continue;
      }
      const cookie = { name: sticky.cookie, value, path: route.path, maxAge: sticky.maxAge };
      this.#pins.set(upstream, {
        plain,
        repinHttp: Object.freeze({ upstream, setCookie: buildSetCookie({ ...cookie, secure: false }) }),
        repinHttps: Object.freeze({ upstream, setCookie: buildSetCookie({ ...cookie, secure: true }) }),
      });
    }
    Object.freeze(this);
  }

  select(
    cookieHeader: string | undefined,
    secure: boolean,
    exclude?: ReadonlySet<string>,
  ): Selection | undefined {
    const sticky = this.#sticky;
    if (sticky !== undefined && this.route.sticky !== null) {
      const value = findCookie(cookieHeader, this.route.sticky.cookie);
      const pinned = value === undefined ? undefined : sticky.lookup(value);
      if (
        pinned !== undefined &&
        !exclude?.has(pinned.id) &&
        pinned.stickyUsable(undefined, this.#drainTimeoutMs)
      ) {
        return this.#pins.get(pinned)!.plain;
      }
    }
    const picked = this.#balancer.pick(this.upstreams, exclude);
    if (picked === undefined) return undefined;
    const pin = this.#pins.get(picked)!;
    return secure ? pin.repinHttps : pin.repinHttp;
  }
}
