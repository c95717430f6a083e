import { MAX_DURATION_MS, MAX_DURATION_TEXT } from '../duration-limit.js';
import { accept, type Parsed, reject } from './parsed.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+)(ms|s|m|h|d)/g;

function durationMs(raw: string): number | undefined {
  if (!DURATION.test(raw)) return undefined;
  let total = 0;
  // An `exec` loop rather than `matchAll`, which copies the regular expression on every call.
  DURATION_PART.lastIndex = 0;
  for (let part = DURATION_PART.exec(raw); part !== null; part = DURATION_PART.exec(raw)) {
    total += Number(part[1]) * UNIT_MS[part[2] as keyof typeof UNIT_MS];
  }
  return Number.isSafeInteger(total) && total > 0 ? total : undefined;
}

/**
 * A positive duration with units `ms`, `s`, `m`, `h`, `d`, parts may be combined, in milliseconds, at
 * most {@link MAX_DURATION_MS} (every duration ends up in a node timer).
 *
 * @example
 * parseDuration('1m30s'); // { ok: true, value: 90000 }
 */
export function parseDuration(raw: string): Parsed<number> {
  const ms = durationMs(raw);
  if (ms === undefined) return reject('a positive duration such as `500ms`, `5s` or `1m30s`');
  return ms <= MAX_DURATION_MS ? accept(ms) : reject(`at most ${MAX_DURATION_TEXT}`);
}

/**
 * A cookie lifetime in whole seconds: a bare number of seconds or a duration (`30m`, `12h`, `7d`).
 *
 * @example
 * parseMaxAge('12h'); // { ok: true, value: 43200 }
 */
export function parseMaxAge(raw: string): Parsed<number> {
  const expected = 'a positive number of seconds or a duration such as `30m`, `12h` or `7d`';
  if (/^\d+$/.test(raw)) {
    const seconds = Number(raw);
    return Number.isSafeInteger(seconds) && seconds > 0 ? accept(seconds) : reject(expected);
  }
  const ms = durationMs(raw);
  return ms !== undefined && ms % 1000 === 0 ? accept(ms / 1000) : reject(expected);
}
