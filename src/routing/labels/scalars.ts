import { accept, type Parsed, type Parser, reject } from './parsed.js';

/** `true` or `false`, in any letter case. */
export function parseBool(raw: string): Parsed<boolean> {
  const lower = raw.toLowerCase();
  if (lower === 'true') return accept(true);
  if (lower === 'false') return accept(false);
  return reject('`true` or `false`');
}

/**
 * One of a fixed set of words, in any letter case.
 *
 * @example
 * parseOneOf(['cookie', 'none'])('Cookie'); // { ok: true, value: 'cookie' }
 */
export function parseOneOf<const T extends string>(choices: readonly T[]): Parser<T> {
  const expected = `one of ${choices.map((c) => `\`${c}\``).join(', ')}`;
  return (raw) => {
    const lower = raw.toLowerCase();
    const found = choices.find((c) => c === lower);
    return found === undefined ? reject(expected) : accept(found);
  };
}

/** A decimal integer, optionally negative, within the safe integer range. */
export function parseInteger(raw: string): Parsed<number> {
  const value = Number(raw);
  return /^-?\d+$/.test(raw) && Number.isSafeInteger(value) ? accept(value) : reject('a whole number');
}

/** A TCP port number. */
export function parsePort(raw: string): Parsed<number> {
  const value = Number(raw);
  return /^\d+$/.test(raw) && value >= 1 && value <= 65535
    ? accept(value)
    : reject('a port number from 1 to 65535');
}

/** Any non-empty value; what it names is checked later against the swarm (e.g. a network). */
export function parseName(raw: string): Parsed<string> {
  return raw === '' ? reject('a non-empty name') : accept(raw);
}

/** RFC 6265 cookie-name: an HTTP token (letters, digits and ``!#$%&'*+-.^_`|~``). */
const COOKIE_TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,128}$/;

/** A cookie name that browsers and proxies accept unchanged. */
export function parseCookieName(raw: string): Parsed<string> {
  return COOKIE_TOKEN.test(raw)
    ? accept(raw)
    : reject("a cookie name of 1 to 128 letters, digits or !#$%&'*+-.^_`|~ (no spaces, `=`, `;` or quotes)");
}
