import { normalizeHost, wildcardParent } from './host.js';
import type { MatcherEntry, MatchResult, RouteMatcher } from './matcher.js';
import { stripPrefix } from './path-prefix.js';
import { better, type Candidate, PathRules } from './path-rules.js';

/**
 * Host lookups in Maps (exact names, and `*.parent` rules keyed by `parent`), then that host's
 * {@link PathRules}. Built once; the instance is frozen and has no way to change.
 */
class HostMapMatcher<T> implements RouteMatcher<T> {
  readonly #exact: Map<string, PathRules<T>>;
  readonly #wildcard: Map<string, PathRules<T>>;
  readonly #anyHost: PathRules<T>;

  constructor(entries: readonly MatcherEntry<T>[]) {
    const exact = new Map<string, Candidate<T>[]>();
    const wildcard = new Map<string, Candidate<T>[]>();
    const anyHost: Candidate<T>[] = [];
    for (const { rule, value } of entries) {
      const candidate: Candidate<T> = {
        path: rule.path,
        stripPath: rule.stripPath && rule.path !== '/',
        priority: rule.priority,
        id: rule.id,
        value,
      };
      if (rule.hosts.length === 0) anyHost.push(candidate);
      for (const host of new Set(rule.hosts.map((h) => h.toLowerCase().replace(/\.$/, '')))) {
        const [map, key] = host.startsWith('*.') ? [wildcard, host.slice(2)] : [exact, host];
        const list = map.get(key);
        if (list) list.push(candidate);
        else map.set(key, [candidate]);
      }
    }
    this.#exact = indexed(exact);
    this.#wildcard = indexed(wildcard);
    this.#anyHost = new PathRules(anyHost);
    Object.freeze(this);
  }

  match(host: string | undefined, pathAndQuery: string): MatchResult<T> | undefined {
    let best: Candidate<T> | undefined;
    // Browsers send the bare lower-case name on default ports: found without normalizing (no allocation).
    const raw = host === undefined ? undefined : this.#exact.get(host);
    const name = raw === undefined ? normalizeHost(host) : host;
    if (name !== undefined) {
      best = (raw ?? this.#exact.get(name))?.find(pathAndQuery);
      const parent = wildcardParent(name);
      if (parent !== undefined) best = better(best, this.#wildcard.get(parent)?.find(pathAndQuery));
    }
    best = better(best, this.#anyHost.find(pathAndQuery));
    if (best === undefined) return undefined;
    return {
      route: best.value,
      forwardPath: best.stripPath ? stripPrefix(best.path, pathAndQuery) : pathAndQuery,
    };
  }
}

/** Builds the Map-based matcher. */
export function createHostMapMatcher<T>(entries: readonly MatcherEntry<T>[]): RouteMatcher<T> {
  return new HostMapMatcher(entries);
}

function indexed<T>(byHost: Map<string, Candidate<T>[]>): Map<string, PathRules<T>> {
  return new Map([...byHost].map(([host, list]) => [host, new PathRules(list)]));
}
