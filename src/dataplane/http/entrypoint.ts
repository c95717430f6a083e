/** The listener a request came in on, as forwarding headers describe it. */
export interface Entrypoint {
  readonly scheme: 'http' | 'https';
}
