const DOT = 0x2e;

/**
 * The Host header reduced to what routes name: lower case, no port, no trailing dot; IPv6 literals keep
 * their brackets (`[::1]:8080` → `[::1]`). `undefined` for a missing or empty host.
 *
 * @example
 * normalizeHost('Shop.Example.COM.:8443'); // 'shop.example.com'
 */
export function normalizeHost(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let end = raw.length;
  if (raw.charCodeAt(0) === 0x5b /* [ */) {
    const close = raw.indexOf(']');
    end = close < 0 ? end : close + 1;
  } else {
    const colon = raw.lastIndexOf(':');
    if (colon >= 0) end = colon;
    if (end > 0 && raw.charCodeAt(end - 1) === DOT) end--;
  }
  const host = end === raw.length ? raw : raw.slice(0, end);
  return host === '' ? undefined : host.toLowerCase();
}

/** For `a.example.com`, `example.com` (what a `*.example.com` rule is keyed by); undefined without a dot. */
export function wildcardParent(host: string): string | undefined {
  if (host.charCodeAt(0) === 0x5b) return undefined;
  const dot = host.indexOf('.');
  return dot <= 0 ? undefined : host.slice(dot + 1);
}
