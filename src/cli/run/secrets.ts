import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { SwarmgateError } from '../../errors.js';

const MIN_SECRET_BYTES = 16;

/** Reads a secret file (a Docker secret, typically); surrounding whitespace is not part of it. */
export async function readSecretFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    throw new SwarmgateError('SG_ERR_CONFIG', `cannot read ${what} file ${path}: ${(err as Error).message}`);
  }
  if (text.length === 0) throw new SwarmgateError('SG_ERR_CONFIG', `${what} file ${path} is empty`);
  return text;
}

/**
 * The sticky-cookie HMAC key. Without a file a random key works for one process only, so replicas
 * and tiers will not agree on pins: say so loudly at start.
 */
export async function loadStickySecret(path: string | undefined, logger: Logger): Promise<Buffer> {
  if (path === undefined) {
    logger.warn(
      'no --sticky-secret-file: using a random per-process secret; replicas will not agree on sticky sessions',
    );
    return randomBytes(32);
  }
  const secret = Buffer.from(await readSecretFile(path, 'sticky secret'));
  if (secret.length < MIN_SECRET_BYTES) {
    throw new SwarmgateError(
      'SG_ERR_CONFIG',
      `sticky secret in ${path} must be at least ${MIN_SECRET_BYTES} bytes`,
    );
  }
  return secret;
}
