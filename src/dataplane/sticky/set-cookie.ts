/** What a sticky Set-Cookie says. */
export interface StickyCookie {
  name: string;
  value: string;
  /** The route's path prefix; the cookie is scoped to it. */
  path: string;
  /** The client reached us over https. */
  secure: boolean;
  /** Seconds; absent for a session cookie. */
  maxAge?: number;
}

/**
 * Builds the `Set-Cookie` header value for a sticky cookie.
 *
 * @example
 * buildSetCookie({ name: 'sg_1a2b3c4d', value: 'q3J0…', path: '/shop', secure: true, maxAge: 3600 });
 * // 'sg_1a2b3c4d=q3J0…; Path=/shop; HttpOnly; SameSite=Lax; Secure; Max-Age=3600'
 */
export function buildSetCookie(cookie: StickyCookie): string {
  let header = `${cookie.name}=${cookie.value}; Path=${cookie.path || '/'}; HttpOnly; SameSite=Lax`;
  if (cookie.secure) header += '; Secure';
  if (cookie.maxAge !== undefined) header += `; Max-Age=${cookie.maxAge}`;
  return header;
}
