import { createHmac } from 'node:crypto';

/** Bytes of the HMAC kept in the cookie: 128 bits are plenty to be unguessable and collision-free. */
const VALUE_BYTES = 16;

/**
 * The opaque sticky cookie value for (route, upstream): base64url of a truncated
 * HMAC-SHA256(secret, `<route id>|<upstream id>`). It reveals no address, and every gateway sharing the
 * secret computes the same value.
 *
 * @example
 * stickyCookieValue(secret, 'shop/default', 'task:abc:8080'); // e.g. 'q3J0…' (22 characters)
 */
export function stickyCookieValue(secret: Buffer, routeId: string, upstreamId: string): string {
  return createHmac('sha256', secret)
    .update(`${routeId}|${upstreamId}`)
    .digest()
    .subarray(0, VALUE_BYTES)
    .toString('base64url');
}
