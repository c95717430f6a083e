import { compareStrings, sortInPlace } from '../order.js';
import { accept, type Parsed, reject } from './parsed.js';

/** One DNS label: letters, digits and inner hyphens, at most 63 characters. */
const DNS_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** DNS labels joined by dots, optionally after a leading `*.`; one test per host, as hosts are on every route. */
const HOST_NAME = new RegExp(`^(?:\\*\\.)?${DNS_LABEL}(?:\\.${DNS_LABEL})*$`);
const MAX_HOST_LENGTH = 253;

/** Why a single host is not acceptable, or undefined when it is. */
function hostProblem(host: string): string | undefined {
  if (host.length <= MAX_HOST_LENGTH && HOST_NAME.test(host)) return undefined;
  if (/:\d+$/.test(host)) {
    return `a host without a port (\`${host}\` has one; hosts match whatever port the request came on)`;
  }
  return `host names made of letters, digits, hyphens and dots, optionally starting with \`*.\` (\`${host}\` is not one)`;
}

/**
 * A comma-separated list of host names: trimmed, lower-cased, de-duplicated and sorted. A leading `*.`
 * makes a wildcard that matches exactly one extra leading label.
 *
 * @example
 * parseHosts('Shop.example.com, *.example.com'); // { ok: true, value: ['*.example.com', 'shop.example.com'] }
 */
export function parseHosts(raw: string): Parsed<string[]> {
  const hosts: string[] = [];
  for (const part of raw.split(',')) {
    const host = part.trim().toLowerCase();
    if (host === '') continue;
    const problem = hostProblem(host);
    if (problem !== undefined) return reject(problem);
    hosts.push(host);
  }
  if (hosts.length === 0) return reject('a comma-separated list of at least one host name');
  // Spread from a Set: an array of exactly this size, as each route keeps it.
  return accept(sortInPlace([...new Set(hosts)], compareStrings));
}
