import { addressKey } from './client-address-key.js';

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
    const key = addressKey(address);
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
