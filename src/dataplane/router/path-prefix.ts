const SLASH = 0x2f;
const QUESTION = 0x3f;

/**
 * `prefix` matches `pathAndQuery` on a segment boundary: `/shop` matches `/shop`, `/shop/`, `/shop/x`,
 * `/shop?q`, not `/shopping`. `/` matches every origin-form target.
 */
export function matchesPrefix(prefix: string, pathAndQuery: string): boolean {
  if (!pathAndQuery.startsWith(prefix)) return false;
  if (prefix.length === 1) return true;
  const next = pathAndQuery.charCodeAt(prefix.length);
  return Number.isNaN(next) || next === SLASH || next === QUESTION;
}

/** `pathAndQuery` with a matching prefix removed, always starting with `/` (`/shop?q` → `/?q`). */
export function stripPrefix(prefix: string, pathAndQuery: string): string {
  if (prefix.length === 1) return pathAndQuery;
  const rest = pathAndQuery.slice(prefix.length);
  return rest.charCodeAt(0) === SLASH ? rest : `/${rest}`;
}
