/** Routes whose hosts are all exact names rank above routes with a wildcard host. */
export const EXACT_HOSTS_BONUS = 10_000;
const MAX_PATH_SCORE = EXACT_HOSTS_BONUS - 1;

/**
 * The default priority of a route (higher wins): `10000` when every host is exact (no `*.`), plus the
 * length of the path prefix (at most 9999). So for one request an exact host beats a wildcard, then the
 * longest path wins. Host length is deliberately not part of it: a wildcard matches exactly one extra
 * label, so every host that matches a given request has the same length, and mixing in the length of a
 * route's *other* hosts would only misorder routes that list several hosts.
 *
 * @example
 * defaultPriority(['shop.example.com'], '/api'); // 10004
 * defaultPriority(['*.example.com'], '/');        // 1
 */
export function defaultPriority(hosts: readonly string[], path: string): number {
  const exact = hosts.every((h) => !h.startsWith('*.'));
  return (exact ? EXACT_HOSTS_BONUS : 0) + Math.min(path.length, MAX_PATH_SCORE);
}
