/**
 * Sticky sessions for tests that need every task of a service to hold one: new cookie jars are opened
 * (one balanced request each) until each task has pinned at least one.
 *
 * @example
 * const sessions = await sessionsOnEveryTask(gw.http, 'sticky.test', taskNames, cookieName);
 */
import { CookieJar, httpRequest } from './http-client.js';
import { whoami } from './http-whoami.js';

/** A cookie jar pinned to one task. */
export interface Session {
  jar: CookieJar;
  /** The task the first request reached (and the cookie pins). */
  task: string;
  /** The sticky cookie's value as first set. */
  cookie: string;
}

/**
 * Opens sessions on `host` until every task in `tasks` has one; throws when a first response has no
 * `cookieName` cookie or when `maxSessions` did not cover every task (the balancer would not be
 * spreading new sessions).
 */
export async function sessionsOnEveryTask(
  base: string,
  host: string,
  tasks: ReadonlySet<string>,
  cookieName: string,
  maxSessions = 60,
): Promise<Session[]> {
  const sessions: Session[] = [];
  const covered = new Set<string>();
  while (covered.size < tasks.size) {
    if (sessions.length >= maxSessions) {
      throw new Error(
        `${maxSessions} new sessions reached only ${[...covered].join(', ')} of ${tasks.size} tasks`,
      );
    }
    const jar = new CookieJar();
    const answer = whoami(await httpRequest(base, { host, jar }));
    const cookie = jar.get(cookieName);
    if (cookie === undefined)
      throw new Error(`the first response to a new session set no ${cookieName} cookie`);
    sessions.push({ jar, task: answer.name, cookie });
    covered.add(answer.name);
  }
  return sessions;
}
