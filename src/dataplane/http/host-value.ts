// RFC 9110 §7.2 / RFC 3986 §3.2.2: a registered name (unreserved, sub-delims, percent-encodings) or a
// bracketed IP literal, then an optional port.
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]{0,5})?$/;

/**
 * Whether `value` is a valid Host field value. Anything else (a path, userinfo, spaces, a second
 * authority) is refused: the gateway would route on one name while the upstream reads another.
 *
 * @example
 * isValidHost('shop.example.com:8080'); // true
 * isValidHost('shop.example.com/admin'); // false
 */
export function isValidHost(value: string): boolean {
  return HOST_VALUE.test(value);
}
