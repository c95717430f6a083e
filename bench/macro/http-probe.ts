import { request } from 'node:http';
import type { Started } from './processes.js';

/** The host name every benchmark request carries (swarmgate routes on it; the others ignore it). */
export const benchHost = 'bench.swarmgate.test';

/** Status and headers of one answered request. */
export interface Probe {
  status: number;
  origin: string | undefined;
  setCookie: string[];
}

/** One GET to 127.0.0.1:`port` on a fresh connection, with the bench host and optional cookie. */
export function probe(port: number, cookie?: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: benchHost };
    if (cookie) headers.cookie = cookie;
    const req = request(
      { host: '127.0.0.1', port, path: '/', headers, agent: false, timeout: 2000 },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            origin: res.headers['x-origin'] as string | undefined,
            setCookie: res.headers['set-cookie'] ?? [],
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Waits until `port` answers 200 through `started`, or fails with the process's output if it exits. */
export async function waitUntilServing(started: Started, port: number, timeoutMs = 15_000): Promise<void> {
  let last = '';
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (!started.running()) throw new Error(`exited (${await started.exited}): ${started.output().trim()}`);
    try {
      const { status } = await probe(port);
      if (status === 200) return;
      last = `status ${status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not serving after ${timeoutMs} ms (${last}): ${started.output().trim()}`);
}
