import { SwarmgateError } from '../errors.js';
import { formatListenAddress, type ListenAddress } from './http/listen-address.js';

/** What the common bind failures mean for the operator. */
const REASONS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (by another process, or by another listener of this gateway)',
  EADDRNOTAVAIL: "the IP address is not one of this host's",
  EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
};

/**
 * A failed bind as a configuration error that names the listener and its address: the address given
 * cannot be used here, which the operator fixes in the configuration (exit code 7), not a bug.
 *
 * @example
 * listenError('the admin API', { host: '127.0.0.1', port: 9180 }, err);
 * // the admin API cannot listen on 127.0.0.1:9180: the address is already in use (...) (EADDRINUSE)
 */
export function listenError(listener: string, address: ListenAddress, err: unknown): SwarmgateError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = (code === undefined ? undefined : REASONS[code]) ?? (err as Error).message;
  return new SwarmgateError(
    'SG_ERR_CONFIG',
    `${listener} cannot listen on ${formatListenAddress(address)}: ${reason}${code === undefined ? '' : ` (${code})`}`,
    { cause: err },
  );
}
