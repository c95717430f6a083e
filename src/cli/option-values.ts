import { SwarmgateError } from '../errors.js';
import { parseDuration } from '../routing/labels/durations.js';
import type { Parsed } from '../routing/labels/parsed.js';
import { parseSize } from '../routing/labels/sizes.js';

/** Turns a label-style parse result into a value or a clear configuration error naming the flag. */
function required<T>(flag: string, raw: string, parsed: Parsed<T>): T {
  if (parsed.ok) return parsed.value;
  throw new SwarmgateError('SG_ERR_CONFIG', `--${flag} ${JSON.stringify(raw)}: must be ${parsed.expected}`);
}

/** A duration flag (`500ms`, `5s`, `1m30s`) in milliseconds, at most 24 days (see `parseDuration`). */
export function durationFlag(flag: string, raw: string): number {
  return required(flag, raw, parseDuration(raw));
}

/** A size flag: bytes, or with a `k`/`m`/`g` suffix (KiB/MiB/GiB). */
export function sizeFlag(flag: string, raw: string): number {
  return required(flag, raw, parseSize(raw));
}

/** A positive integer flag within bounds. */
export function integerFlag(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new SwarmgateError(
      'SG_ERR_CONFIG',
      `--${flag} ${JSON.stringify(raw)}: must be an integer from ${min} to ${max}`,
    );
  }
  return n;
}

/** One of a fixed set of words. */
export function choiceFlag<const T extends string>(flag: string, raw: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new SwarmgateError(
    'SG_ERR_CONFIG',
    `--${flag} ${JSON.stringify(raw)}: must be one of ${choices.join(', ')}`,
  );
}

/** Comma lists may be given once or repeated: `--x a,b --x c`. */
export function listFlag(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}
