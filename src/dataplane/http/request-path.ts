import {
  hasDotSegment,
  hasDotSegmentWithParameters,
  normalizePercentEncoding,
} from '../../routing/path-normal-form.js';

/** Why a request path was refused (400). One constant per reason, so refusing allocates nothing. */
export interface PathRefusal {
  readonly reason: string;
}

const BAD_PERCENT: PathRefusal = { reason: 'invalid percent-encoding in the request path' };
const ENCODED_NUL: PathRefusal = { reason: 'encoded NUL (%00) in the request path' };
const AMBIGUOUS_DOTS: PathRefusal = {
  reason: 'dot segment next to an encoded slash or a backslash in the request path',
};
const DOTS_WITH_PARAMETERS: PathRefusal = {
  reason: 'dot segment with parameters (`..;`) in the request path',
};

/** A fragment, an encoding, a backslash or a possible dot segment. */
const MAY_NEED_WORK = /[#%\\]|\/\./;

/** Separators some backends treat as `/` where the gateway does not. */
const SLASH_LOOKALIKES = /%2F|%5C|\\/g;

/**
 * The path and query the gateway routes on and forwards, from an origin-form `target`: percent-encoded
 * unreserved characters decoded and other encodings in upper case (RFC 3986 §6.2.2), then dot segments
 * removed (§5.2.4: `/api/../admin` → `/admin`, `/a/%2e%2e/b` → `/b`). A fragment (`#…`) is dropped;
 * the query and repeated slashes are left as sent. Routing on the raw path would send
 * `/api/../actuator` to the service routed at `/api`, which resolves it to a path the operator never
 * exposed.
 *
 * Refused: malformed or NUL percent-encodings, a dot segment next to `%2F`, `%5C` or `\`
 * (`/api/..%2Fadmin`), which a backend that decodes them would resolve differently than the gateway,
 * and a dot segment with parameters (`/api/..;/admin`, `/api/%2e%2e%3Bx/admin`), which Tomcat and Spring
 * resolve as `..` (the nginx + Tomcat path bypass).
 * A `%2F` elsewhere passes untouched (RabbitMQ's `/api/queues/%2F/q`, npm's `@scope%2Fname`).
 *
 * @example
 * normalizePath('/shop/./%7Ecart/../list?x=/..'); // '/shop/list?x=/..'
 */
export function normalizePath(target: string): string | PathRefusal {
  // Most targets have nothing to normalise: one scan, no allocation. (Raw non-ASCII bytes never get
  // here: node's parser refuses them with 400.)
  if (target.charCodeAt(0) !== 0x2f || !MAY_NEED_WORK.test(target)) return target;
  // RFC 9112 §3.2 has no fragment in a request target; a backend would drop it where routing did not.
  const hashAt = target.indexOf('#');
  const pathAndQuery = hashAt < 0 ? target : target.slice(0, hashAt);
  const queryAt = pathAndQuery.indexOf('?');
  const path = queryAt < 0 ? pathAndQuery : pathAndQuery.slice(0, queryAt);
  const decoded = normalizePercentEncoding(path);
  if (decoded === 'malformed') return BAD_PERCENT;
  if (decoded === 'nul') return ENCODED_NUL;
  const lookalikes = decoded.replace(SLASH_LOOKALIKES, '/');
  if (lookalikes !== decoded && hasDotSegment(lookalikes)) return AMBIGUOUS_DOTS;
  if (hasDotSegmentWithParameters(lookalikes)) return DOTS_WITH_PARAMETERS;
  const resolved = hasDotSegment(decoded) ? removeDotSegments(decoded) : decoded;
  return queryAt < 0 ? resolved : resolved + pathAndQuery.slice(queryAt);
}

function isDotSegment(segment: string): boolean {
  return segment === '.' || segment === '..';
}

/** RFC 3986 §5.2.4 for an absolute path: `.` goes, `..` also drops the segment before it (none above `/`). */
function removeDotSegments(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (segment === '..') out.pop();
    if (!isDotSegment(segment)) out.push(segment);
    // A path ending in a dot segment names a directory: `/a/b/..` → `/a/`.
    else if (i === segments.length - 1) out.push('');
  }
  return `/${out.join('/')}`;
}
