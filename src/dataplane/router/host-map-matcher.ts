import { normalizeHost, wildcardParent } from './host.js';
import type { MatcherEntry, MatchResult, RouteMatcher } from './matcher.js';
import { matchesPrefix, stripPrefix } from './path-prefix.js';

/** One rule as filed under a host key. */
interface Candidate<T> {
  path: string;
  stripPath: boolean;
  priority: number;
  id: string;
  value: T;
}

/**
 * Host lookups in Maps (exact names, and `*.parent` rules keyed by `parent`), then a scan of that host's
 * rules in winning order. Built once; the instance is frozen and has no way to change.
 */
class HostMapMatcher<T> implements RouteMatcher<T> {
  readonly #exact = new Map<string, Candidate<T>[]>();
  readonly #wildcard = new Map<string, Candidate<T>[]>();
  readonly #anyHost: Candidate<T>[] = [];

  constructor(entries: readonly MatcherEntry<T>[]) {
    for (const { rule, value } of entries) {
      const candidate: Candidate<T> = {
        path: rule.path,
        stripPath: rule.stripPath && rule.path !== '/',
        priority: rule.priority,
        id: rule.id,
        value,
      };
      if (rule.hosts.length === 0) this.#anyHost.push(candidate);
      for (const host of new Set(rule.hosts.map((h) => h.toLowerCase()))) {
        const [map, key] = host.startsWith('*.') ? [this.#wildcard, host.slice(2)] : [this.#exact, host];
        const list = map.get(key);
        if (list) list.push(candidate);
        else map.set(key, [candidate]);
      }
    }
    for (const list of [...this.#exact.values(), ...this.#wildcard.values(), this.#anyHost]) {
      list.sort(winsOver);
    }
    Object.freeze(this);
  }

  match(host: string | undefined, pathAndQuery: string): MatchResult<T> | undefined {
    const name = normalizeHost(host);
    let best: Candidate<T> | undefined;
    if (name !== undefined) {
      best = firstMatch(this.#exact.get(name), pathAndQuery);
      const parent = wildcardParent(name);
      if (parent !== undefined) best = better(best, firstMatch(this.#wildcard.get(parent), pathAndQuery));
    }
    best = better(best, firstMatch(this.#anyHost, pathAndQuery));
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

/** Sort order: higher priority first, then smaller id. */
function winsOver<T>(a: Candidate<T>, b: Candidate<T>): number {
  return b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function firstMatch<T>(list: Candidate<T>[] | undefined, pathAndQuery: string): Candidate<T> | undefined {
  if (list === undefined) return undefined;
  for (const candidate of list) if (matchesPrefix(candidate.path, pathAndQuery)) return candidate;
  return undefined;
}

function better<T>(a: Candidate<T> | undefined, b: Candidate<T> | undefined): Candidate<T> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return winsOver(a, b) <= 0 ? a : b;
}
