/**
 * A small HTTP/1.1 client for integration tests: unlike `fetch`, it sends the `Host` header it is
 * given (routing is by host name), and it can carry a cookie jar for sticky sessions.
 *
 * @example
 * const jar = new CookieJar();
 * const res = await httpRequest(gw.http, { host: 'a.test', path: '/x', jar });
 * assert.equal(res.status, 200);
 */
import { type Agent, type IncomingHttpHeaders, request } from 'node:http';

/** A response read to the end. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The `Set-Cookie` headers of this response (empty when none). */
  setCookies: string[];
}

/** Options for {@link httpRequest}. */
export interface HttpRequestOptions {
  /** The `Host` header; default the base URL's host. */
  host?: string;
  method?: string;
  /** Path and query; default `/`. */
  path?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Sends its cookies and stores the response's `Set-Cookie`s. */
  jar?: CookieJar;
  /** Connection reuse; default a fresh connection per request. */
  agent?: Agent | false;
  /** Rejects when no full response arrived in time; default 30 s. */
  timeoutMs?: number;
}

/** One request to `base` (`http://127.0.0.1:PORT`); resolves with the whole response. */
export function httpRequest(base: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
  const url = new URL(base);
  const headers: Record<string, string | string[]> = { host: opts.host ?? url.host, ...opts.headers };
  const cookie = opts.jar?.header();
  if (cookie !== undefined) headers.cookie = cookie;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers,
        agent: opts.agent ?? false,
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const setCookies = res.headers['set-cookie'] ?? [];
          opts.jar?.store(setCookies);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
            setCookies,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no response within ${opts.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * Cookies by name, as a browser keeps them for one site (paths and expiry are not needed here: the
 * tests use one path per route and session cookies).
 */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  /** Stores `name=value` of each `Set-Cookie` header value. */
  store(setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq > 0) this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  /** The value of cookie `name`, if the jar has it. */
  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /** The `Cookie` request header, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.#cookies.size === 0) return undefined;
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}
