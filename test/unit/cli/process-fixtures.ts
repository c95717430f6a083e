/** For `swarmgate run` as a child process: a loopback origin, and a table file routing `a.test` to it. */
import { EventEmitter, once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { backend, route, table, upstream } from '../dataplane/upstreams/table-fixtures.js';

export interface Origin {
  port: number;
  /** Resolves when the next request for `path` arrives (ask before sending it). */
  arrival(path: string): Promise<void>;
}

/** An HTTP origin on 127.0.0.1 that hands every request to `answer`; closed after the test. */
export async function startOrigin(
  t: TestContext,
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Origin> {
  const arrived = new EventEmitter();
  const server = createServer((req, res) => {
    arrived.emit(req.url ?? '');
    answer(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const arrival = async (path: string) => {
    await once(arrived, path);
  };
  return { port: (server.address() as AddressInfo).port, arrival };
}

/** A routing-table file sending host `a.test` to `127.0.0.1:port`; removed after the test. */
export async function tableFile(t: TestContext, port: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sg-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'table.json');
  await writeTableFile(file, port);
  return file;
}

/** (Re)writes `file` with a table (version `to-PORT`) sending host `a.test` to `127.0.0.1:port`. */
export async function writeTableFile(file: string, port: number): Promise<void> {
  const routes = [route('web/default', 'web', { hosts: ['a.test'] })];
  const backends = [backend('web', [upstream(`web:${port}`, { port })])];
  await writeFile(file, JSON.stringify(table(routes, backends, `to-${port}`)));
}

/** Whether process `pid` has a SIGHUP handler (Linux: bit 0 of `SigCgt` in /proc/PID/status). */
export function catchesHangup(pid: number): boolean {
  const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return caught !== null && (BigInt(`0x${caught[1]}`) & 1n) === 1n;
}
