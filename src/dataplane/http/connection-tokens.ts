const USUAL = new Set(['close', 'keep-alive', 'upgrade']);

/**
 * Fields a `Connection` option never removes: they frame the message or name its target. RFC 9110
 * §7.6.1 forbids listing them; a gateway that obeyed would forward a body without its length, and the
 * bytes would be read as the start of the next request on the pooled upstream connection (smuggling).
 */
const END_TO_END = new Set(['content-length', 'transfer-encoding', 'host']);

/**
 * Header names a `Connection` header lists besides its usual options (`close`, `keep-alive`,
 * `upgrade`): those headers are hop-by-hop too (RFC 9110 §7.6.1), except the framing and Host fields
 * (`END_TO_END`). Appends to `into`, lower-case.
 */
export function connectionTokens(value: string, into: string[] | undefined): string[] | undefined {
  // The usual single option, without splitting.
  if (value.length <= 10 && USUAL.has(value.toLowerCase())) return into;
  let result = into;
  for (const raw of value.split(',')) {
    const token = raw.trim().toLowerCase();
    if (token === '' || USUAL.has(token) || END_TO_END.has(token)) continue;
    result ??= [];
    result.push(token);
  }
  return result;
}

/** Removes headers by lower-case name from a flat `[name, value, ...]` list, in place. */
export function removeNamed(headers: string[], lowerNames: readonly string[]): void {
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    if (lowerNames.includes(headers[r]!.toLowerCase())) continue;
    headers[w++] = headers[r]!;
    headers[w++] = headers[r + 1]!;
  }
  headers.length = w;
}
