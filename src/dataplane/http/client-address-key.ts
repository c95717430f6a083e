import { isIP } from 'node:net';
import { plainAddress } from './trusted-proxies.js';

/**
 * What a client address is counted under by per-client caps: its IPv4 address (also when
 * IPv4-mapped), or its IPv6 /64 written as `2001:db8:0:1::/64` (the block one subscriber gets, so a
 * host cannot multiply its share by picking addresses); anything that is no address (a trusted
 * proxy's header) as it is.
 *
 * @example
 * addressKey('::ffff:192.0.2.7'); // '192.0.2.7'
 * addressKey('2001:db8:0:1:a::1'); // '2001:db8:0:1::/64'
 */
export function addressKey(address: string): string {
  const plain = plainAddress(address);
  if (isIP(plain) !== 6) return plain;
  const zoneless = plain.split('%', 1)[0]!;
  const [head = '', tail] = zoneless.split('::', 2);
  const groups = head === '' ? [] : head.split(':');
  if (tail !== undefined) {
    const after = tail === '' ? [] : tail.split(':');
    // A trailing dotted IPv4 part stands for two groups.
    const width = after.length + (after.at(-1)?.includes('.') ? 1 : 0);
    groups.push(...new Array<string>(Math.max(0, 8 - groups.length - width)).fill('0'), ...after);
  }
  const prefix = groups.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16));
  return `${prefix.join(':')}::/64`;
}
