/**
 * The listener a request came in on, as forwarding headers describe it. The port is the bound one,
 * so requests need no `getsockname` call per connection to learn it.
 */
export interface Entrypoint {
  readonly scheme: 'http' | 'https';
  /** Bound port (0 until the listener is bound). */
  port: number;
}
