import { isIP } from 'node:net';
import { SwarmgateError } from '../../errors.js';

/** Where a listener binds: `host` is an IP literal without brackets. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses an entrypoint `ADDR:PORT`; IPv6 addresses go in brackets.
 *
 * @example
 * parseListenAddress('0.0.0.0:80'); // { host: '0.0.0.0', port: 80 }
 * parseListenAddress('[::]:8080'); // { host: '::', port: 8080 }
 */
export function parseListenAddress(spec: string): ListenAddress {
  const colon = spec.lastIndexOf(':');
  let host = spec.slice(0, colon);
  const portText = spec.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':')) host = '';
  const port = Number(portText);
  if (colon < 0 || isIP(host) === 0 || !/^\d{1,5}$/.test(portText) || port > 65535) {
    throw new SwarmgateError(
      'SG_ERR_CONFIG',
      `invalid listen address "${spec}": expected IPv4:PORT or [IPv6]:PORT, e.g. 0.0.0.0:80 or [::]:8080`,
    );
  }
  return { host, port };
}

/** Formats an address back to `ADDR:PORT`, bracketing IPv6. */
export function formatListenAddress(address: ListenAddress): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** True for 127.0.0.0/8 and ::1 (and their IPv4-mapped form). */
export function isLoopback(host: string): boolean {
  const plain = host.startsWith('::ffff:') ? host.slice(7) : host;
  return plain === '::1' || (isIP(plain) === 4 && plain.startsWith('127.'));
}
