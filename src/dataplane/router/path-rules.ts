import { matchesPrefix } from './path-prefix.js';

/** One rule as filed under a host key. */
export interface Candidate<T> {
  path: string;
  stripPath: boolean;
  priority: number;
  id: string;
  value: T;
}

/** Above this many rules on one host, look paths up by prefix instead of scanning. */
const SCAN_LIMIT = 8;
const SLASH = 0x2f;
const QUESTION = 0x3f;

/**
 * The rules under one host key, answering "which rule wins for this path". Few rules are scanned in
 * winning order; many (an API host with dozens of paths) are found through a Map from each prefix to
 * its best rule, probing only the request's segment boundaries.
 */
export class PathRules<T> {
  readonly #sorted: Candidate<T>[];
  readonly #byPrefix: Map<string, Candidate<T>> | undefined;

  constructor(candidates: Candidate<T>[]) {
    this.#sorted = [...candidates].sort(compareCandidates);
    if (this.#sorted.length > SCAN_LIMIT) {
      this.#byPrefix = new Map();
      for (const c of this.#sorted) if (!this.#byPrefix.has(c.path)) this.#byPrefix.set(c.path, c);
    }
    Object.freeze(this);
  }

  /** The winning rule for an origin-form target, if any. */
  find(pathAndQuery: string): Candidate<T> | undefined {
    if (this.#byPrefix === undefined) {
      for (const c of this.#sorted) if (matchesPrefix(c.path, pathAndQuery)) return c;
      return undefined;
    }
    if (pathAndQuery.charCodeAt(0) !== SLASH) return undefined;
    let best = this.#byPrefix.get('/');
    for (let i = 1; i <= pathAndQuery.length; i++) {
      const code = pathAndQuery.charCodeAt(i);
      const end = Number.isNaN(code) || code === QUESTION;
      if (code !== SLASH && !end) continue;
      best = better(best, this.#byPrefix.get(pathAndQuery.slice(0, i)));
      if (end) break;
    }
    return best;
  }
}

/** Winning order: higher priority first, then smaller id. */
export function compareCandidates<T>(a: Candidate<T>, b: Candidate<T>): number {
  return b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The winner of two optional candidates. */
export function better<T>(
  a: Candidate<T> | undefined,
  b: Candidate<T> | undefined,
): Candidate<T> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareCandidates(a, b) <= 0 ? a : b;
}
