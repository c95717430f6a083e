/**
 * The rig's whoami backend as the tests see it through the gateway (see test/rig/images/whoami/server.mjs).
 *
 * @example
 * const answer = whoami(await httpRequest(gw.http, { host: 'a.test' }));
 * assert.equal(answer.url, '/');
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HttpResponse } from './http-client.js';

/** What whoami answers to every request: which task it is and the request it got. */
export interface WhoamiAnswer {
  /** The task name (`<service>.<slot>.<task id>`) when the service sets WHOAMI_ENV. */
  name: string;
  hostname: string;
  task: { id: string | null; slot: string | null; node: string | null };
  ips: string[];
  method: string;
  /** The request target as the backend received it (after strip-path). */
  url: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
}

/** Parses a whoami answer; throws (quoting the response) unless it is a 200 with whoami's JSON. */
export function whoami(res: HttpResponse): WhoamiAnswer {
  if (res.status !== 200 || res.headers['x-whoami-name'] === undefined) {
    throw new Error(`expected a 200 from whoami, got ${res.status}: ${res.body.slice(0, 200)}`);
  }
  return JSON.parse(res.body) as WhoamiAnswer;
}
