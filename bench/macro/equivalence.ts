import { probe } from './http-probe.js';
import type { RunningTarget, Target } from './targets/target.js';

/** Whether a target behaves as configured before it is measured. */
export interface EquivalenceCheck {
  target: string;
  ok: boolean;
  detail: string;
}

const firstRequests = 10;
const pinnedRequests = 5;

/**
 * Sends a few requests through a started target and checks what makes the comparison fair: every answer
 * is a 200 from the origin, proxies spread new clients over both origin listeners, and sticky ones set a
 * cookie that pins the next requests to one listener.
 */
export async function checkEquivalence(target: Target, running: RunningTarget): Promise<EquivalenceCheck> {
  const fresh = [];
  for (let i = 0; i < firstRequests; i++) fresh.push(await probe(running.port));
  const problems: string[] = [];
  const bad = fresh.filter((p) => p.status !== 200 || !p.origin);
  if (bad.length > 0) problems.push(`${bad.length}/${firstRequests} answers not a 200 from the origin`);
  const origins = new Set(fresh.map((p) => p.origin));
  if (!target.answersItself && origins.size < 2) problems.push(`new clients all went to ${[...origins]}`);
  let stickiness = 'no sticky cookie (as configured)';
  const cookie = fresh[0]?.setCookie[0]?.split(';')[0];
  if (target.sticky) {
    if (!cookie) problems.push('no Set-Cookie on the first answer');
    else {
      const pinnedTo = new Set<string | undefined>();
      for (let i = 0; i < pinnedRequests; i++) pinnedTo.add((await probe(running.port, cookie)).origin);
      if (pinnedTo.size !== 1) problems.push(`cookie ${cookie} did not pin: went to ${[...pinnedTo]}`);
      stickiness = `cookie \`${cookie.split('=')[0]}\` pinned ${pinnedRequests}/${pinnedRequests} to ${[...pinnedTo]}`;
    }
  } else if (cookie) problems.push(`unexpected Set-Cookie ${cookie}`);
  const spread = `new clients → ${[...origins].sort().join(', ')}`;
  return {
    target: target.name,
    ok: problems.length === 0,
    detail: problems.length === 0 ? `${spread}; ${stickiness}` : problems.join('; '),
  };
}
