import { BlockList, isIP } from 'node:net';
import { SwarmgateError } from '../../errors.js';

/**
 * The peers whose client-IP headers (`X-Forwarded-*`, `X-Real-IP`, `Forwarded`) are believed.
 * Built once from CIDRs; `trusts` is a `BlockList` lookup.
 *
 * @example
 * const proxies = new TrustedProxies(['10.0.0.0/8', 'fd00::/8']);
 * proxies.trusts('10.1.2.3'); // true
 */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) this.#add(cidr);
    this.#empty = cidrs.length === 0;
  }

  /** Whether `address` (as node reports it, IPv4-mapped or not) lies in a trusted range. */
  trusts(address: string): boolean {
    // BlockList answers false for anything that is not an address of the family, so no isIP() needed.
    return !this.#empty && this.#list.check(address, address.includes(':') ? 'ipv6' : 'ipv4');
  }

  #add(cidr: string): void {
    const slash = cidr.indexOf('/');
    const address = slash < 0 ? cidr : cidr.slice(0, slash);
    const family = isIP(address);
    const maxPrefix = family === 4 ? 32 : 128;
    const prefixText = slash < 0 ? String(maxPrefix) : cidr.slice(slash + 1);
    const prefix = Number(prefixText);
    if (family === 0 || !/^\d{1,3}$/.test(prefixText) || prefix > maxPrefix) {
      throw new SwarmgateError(
        'SG_ERR_CONFIG',
        `invalid trusted proxy "${cidr}": expected an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8`,
      );
    }
    this.#list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** Strips the `::ffff:` prefix node puts on IPv4 peers of a dual-stack socket. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
