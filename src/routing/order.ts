/** Code-unit order, independent of locale, so tables sort the same on every machine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts in place by `id` and returns the array. */
export function sortById<T extends { id: string }>(items: T[]): T[] {
  return items.sort((a, b) => compareStrings(a.id, b.id));
}
