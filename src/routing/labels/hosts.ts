import { accept, type Parsed, reject } from './parsed.js';

/** One DNS label: letters, digits and inner hyphens, at most 63 characters. */
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_HOST_LENGTH = 253;

/** Why a single host is not acceptable, or undefined when it is. */
function hostProblem(host: string): string | undefined {
  if (/:\d+$/.test(host)) {
    return `a host without a port (\`${host}\` has one; hosts match whatever port the request came on)`;
  }
  const name = host.startsWith('*.') ? host.slice(2) : host;
  const labels = name.split('.');
  if (host.length > MAX_HOST_LENGTH || !labels.every((l) => DNS_LABEL.test(l))) {
    return `host names made of letters, digits, hyphens and dots, optionally starting with \`*.\` (\`${host}\` is not one)`;
  }
  return undefined;
}

/**
 * A comma-separated list of host names: trimmed, lower-cased, de-duplicated and sorted. A leading `*.`
 * makes a wildcard that matches exactly one extra leading label.
 *
 * @example
 * parseHosts('Shop.example.com, *.example.com'); // { ok: true, value: ['*.example.com', 'shop.example.com'] }
 */
export function parseHosts(raw: string): Parsed<string[]> {
  const hosts = raw
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  if (hosts.length === 0) return reject('a comma-separated list of at least one host name');
  for (const host of hosts) {
    const problem = hostProblem(host);
    if (problem !== undefined) return reject(problem);
  }
  return accept([...new Set(hosts)].sort());
}
