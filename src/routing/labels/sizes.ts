import { accept, type Parsed, reject } from './parsed.js';

const SCALE = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as const;

/**
 * A positive size in bytes: a bare number, or with a `k`, `m` or `g` suffix (KiB, MiB, GiB).
 *
 * @example
 * parseSize('10m'); // { ok: true, value: 10485760 }
 */
export function parseSize(raw: string): Parsed<number> {
  const match = /^(\d+)([kmg]?)$/i.exec(raw);
  const unit = (match?.[2] ?? '').toLowerCase() as keyof typeof SCALE;
  const bytes = match ? Number(match[1]) * SCALE[unit] : Number.NaN;
  return Number.isSafeInteger(bytes) && bytes > 0
    ? accept(bytes)
    : reject('a positive size in bytes, optionally with a k, m or g suffix, such as `512k` or `10m`');
}
