/**
 * The result of reading one label value: the typed value, or the rule it breaks. `expected` completes
 * the sentence "<label> must be …", so every diagnostic names the rule and what is expected.
 *
 * @example
 * const port = parsePort('80'); // { ok: true, value: 80 }
 * const bad = parsePort('http'); // { ok: false, expected: 'a port number from 1 to 65535' }
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

/** Reads one raw label value (already trimmed) into a typed value. */
export type Parser<T> = (raw: string) => Parsed<T>;

export function accept<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function reject(expected: string): Parsed<never> {
  return { ok: false, expected };
}
