const CHUNKED_ONLY = /^[ \t]*chunked[ \t]*$/i;

/**
 * Whether a Transfer-Encoding value (field lines joined with `, `) is `chunked` alone. Node's server
 * and swarmgate's upstream client remove exactly that coding; a body in any other coding (`gzip,
 * chunked`) would be passed on still encoded but framed as plain, so the gateway refuses it.
 *
 * @example
 * isChunkedOnly('Chunked'); // true
 * isChunkedOnly('gzip, chunked'); // false
 */
export function isChunkedOnly(transferEncoding: string): boolean {
  return CHUNKED_ONLY.test(transferEncoding);
}
