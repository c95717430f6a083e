/** Code-unit order, independent of locale, so tables sort the same on every machine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Sorts in place and returns the array. Most lists of a table are short and already in order (snapshot
 * arrays come sorted by id, routes are produced in id order), and one pass to check that is much cheaper
 * than `Array#sort`, which allocates its working state even for two elements.
 *
 * @example
 * sortInPlace(['b', 'a'], compareStrings); // ['a', 'b']
 */
export function sortInPlace<T>(items: T[], compare: (a: T, b: T) => number): T[] {
  for (let i = 1; i < items.length; i++) {
    if (compare(items[i - 1]!, items[i]!) > 0) return items.sort(compare);
  }
  return items;
}

/** Sorts in place by `id` and returns the array. */
export function sortById<T extends { id: string }>(items: T[]): T[] {
  return sortInPlace(items, byId);
}

function byId(a: { id: string }, b: { id: string }): number {
  return compareStrings(a.id, b.id);
}
