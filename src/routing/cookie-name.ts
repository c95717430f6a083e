import { hash } from 'node:crypto';
import type { TranslateContext } from './table.js';

/**
 * The default sticky cookie name of a route for one gateway role: `sg_` + 8 hex digits of
 * sha256(`<role>|<route id>`). Border and ingress tiers thus never overwrite each other's cookie.
 *
 * @example
 * defaultCookieName('border', 'shop/default'); // 'sg_' + 8 hex digits
 */
export function defaultCookieName(role: TranslateContext['role'], routeId: string): string {
  // One-shot `hash` rather than `createHash`: a table derives a name for every sticky route.
  return `sg_${hash('sha256', `${role}|${routeId}`, 'hex').slice(0, 8)}`;
}
