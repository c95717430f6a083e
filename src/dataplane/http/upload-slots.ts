import { isIP } from 'node:net';

/**
 * Counts the request bodies each client streams to upstreams (bodies too large to buffer hold an
 * upstream connection while they arrive), and caps them per client: one address must not hold a
 * pool's connections with large bodies sent at the minimum rate. An IPv6 client counts by its /64,
 * the block one subscriber gets, so a host cannot multiply its share by picking addresses.
 *
 * @example
 * const slots = new UploadSlots(16);
 * const client = slots.take('192.0.2.7'); // undefined when the client holds 16 already
 * if (client !== undefined) slots.give(client);
 */
export class UploadSlots {
  readonly #max: number;
  readonly #held = new Map<string, number>();

  /** `max` bodies per client at once; 0 = no limit. */
  constructor(max: number) {
    this.#max = max;
  }

  /** Takes a slot for `address`; returns the key to `give` it back with, or undefined at the limit. */
  take(address: string): string | undefined {
    const key = clientKey(address);
    if (this.#max === 0) return key;
    const held = this.#held.get(key) ?? 0;
    if (held >= this.#max) return undefined;
    this.#held.set(key, held + 1);
    return key;
  }

  /** Gives back a slot taken with `take`. */
  give(key: string): void {
    if (this.#max === 0) return;
    const held = this.#held.get(key) ?? 0;
    if (held <= 1) this.#held.delete(key);
    else this.#held.set(key, held - 1);
  }
}

/**
 * The key a client address counts under: an IPv4 address itself, an IPv6 address's /64 (as
 * `2001:db8:0:1::/64`); anything else (a trusted proxy's header that is no address) as it is.
 *
 * @example
 * clientKey('2001:db8::1:2:3:4'); // '2001:db8:0:0::/64'
 */
export function clientKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.split('::');
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (`::ffff:1.2.3.4`) stands for two groups; only the first four matter here.
  const width = front.length + back.length + (back.at(-1)?.includes('.') ? 1 : 0);
  const groups = tail === undefined ? front : [...front, ...Array(8 - width).fill('0'), ...back];
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}
