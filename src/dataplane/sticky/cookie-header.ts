/**
 * Finds one cookie's value in a `Cookie` header without splitting the whole header. Names match exactly
 * (case-sensitive, as browsers send them); the first occurrence wins; surrounding double quotes are removed.
 *
 * @example
 * findCookie('a=1; sg_1a2b3c4d=q3J0; b=2', 'sg_1a2b3c4d'); // 'q3J0'
 */
export function findCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || name === '') return undefined;
  let from = 0;
  for (;;) {
    const at = header.indexOf(name, from);
    if (at < 0) return undefined;
    const valueStart = at + name.length;
    if (header.charCodeAt(valueStart) === EQUALS && startsPair(header, at)) {
      let valueEnd = header.indexOf(';', valueStart);
      if (valueEnd < 0) valueEnd = header.length;
      return unquote(header.slice(valueStart + 1, valueEnd).trim());
    }
    from = at + 1;
  }
}

const EQUALS = 0x3d;
const SEMICOLON = 0x3b;
const SPACE = 0x20;
const TAB = 0x09;

/** The name at `at` begins a `name=value` pair: only whitespace separates it from `;` or the start. */
function startsPair(header: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && (header.charCodeAt(i) === SPACE || header.charCodeAt(i) === TAB)) i--;
  return i < 0 || header.charCodeAt(i) === SEMICOLON;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}
