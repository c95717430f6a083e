import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { acceptSharing } from '../../src/dataplane/http/listening-socket-copies.js';
import type { RoutingTable } from '../../src/routing/table.js';
import { startGateway } from './support/gateway-process.js';
import { httpRequest } from './support/http-client.js';

/** Two loopback backends that name themselves, and a table file routing `a.test` to them. */
async function backendsAndTable(t: TestContext): Promise<{ file: string; names: string[] }> {
  const names = ['one', 'two'];
  const ports: number[] = [];
  for (const name of names) {
    const server = createServer((req, res) => {
      req.resume();
      res.end(name);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    ports.push((server.address() as AddressInfo).port);
  }
  const table: RoutingTable = {
    version: 'static-1',
    routes: [
      {
        id: 'web/default',
        service: 'web',
        name: 'default',
        hosts: ['a.test'],
        path: '/',
        stripPath: false,
        priority: 10_001,
        backend: 'web',
        sticky: { cookie: 'sg_static' },
        balance: 'round-robin',
        health: null,
        tls: false,
        redirectHttps: false,
      },
    ],
    backends: [
      {
        id: 'web',
        service: 'web',
        serviceId: 'web',
        mode: 'hostport',
        port: 80,
        upstreams: ports.map((port, i) => ({
          id: `static:${i}`,
          address: `127.0.0.1:${port}`,
          host: '127.0.0.1',
          port,
          node: 'local',
          nodeHostname: 'local',
          state: 'ready' as const,
        })),
      },
    ],
    diagnostics: [],
  };
  const dir = await mkdtemp(join(tmpdir(), 'sg-run-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'table.json');
  await writeFile(file, JSON.stringify(table));
  return { file, names };
}

/** Descriptors of the socket listening on `port`, per process holding any (from `ss`). */
function listeningDescriptors(port: number): number[] {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const perProcess = new Map<string, number>();
  for (const [, pid] of out.matchAll(/pid=(\d+),fd=\d+/g))
    perProcess.set(pid!, (perProcess.get(pid!) ?? 0) + 1);
  return [...perProcess.values()].sort((a, b) => a - b);
}

for (const workers of [1, 2]) {
  test(`run --table with ${workers} worker(s): serves, reports runtime state, exits 0 on SIGTERM`, async (t) => {
    const { file, names } = await backendsAndTable(t);
    // Workers accept one connection per iteration unless told otherwise; batches are tried here too.
    const args = workers === 1 ? [] : ['--workers', String(workers), '--accept-batch', '2'];
    const gw = await startGateway({ table: file, args, t });
    // Workers listen once they received their first table; give them a moment by polling.
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < names.length; i++) {
      const res = await httpRequest(gw.http, { host: 'a.test', path: '/' }).catch(() => undefined);
      if (res?.status === 200) seen.add(res.body);
    }
    assert.deepEqual([...seen].sort(), names, 'round-robin reaches both backends through the gateway');
    const unknown = await httpRequest(gw.http, { host: 'b.test', path: '/' });
    assert.equal(unknown.status, 404);
    // Each serving process accepts on --accept-batch (default 4 in one process) descriptors. Where node
    // has `reusePort`, a worker binds its own sockets and the primary holds none; elsewhere the primary
    // holds the socket it shares with its workers, and workers copy theirs once listening.
    const primary = acceptSharing() === 'reuse-port' ? [] : [1];
    const expected = workers === 1 ? [4] : [...primary, ...Array<number>(workers).fill(2)];
    let descriptors = listeningDescriptors(gw.port);
    for (let i = 0; i < 50 && descriptors.join() !== expected.join(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      descriptors = listeningDescriptors(gw.port);
    }
    assert.deepEqual(descriptors, expected, 'descriptors of the listening socket per process');

    // Cluster workers report their state once a second; a single process answers at once.
    let upstreams: unknown[] = [];
    for (let i = 0; i < 30 && upstreams.length === 0; i++) {
      upstreams = (await gw.table())?.backends[0]?.upstreams.filter((u) => u.runtime !== null) ?? [];
      if (upstreams.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(upstreams.length, 2, 'the admin API shows both upstreams with runtime state');
    assert.equal(await gw.stop(), 0, 'graceful shutdown exits 0');
  });
}

/** The value of the sample `series` (name plus labels, exactly as exposed) in a Prometheus text page. */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

for (const workers of [1, 2]) {
  test(`run --metrics with ${workers} worker(s): /metrics counts every request and shows upstream state`, async (t) => {
    const { file } = await backendsAndTable(t);
    const gw = await startGateway({ table: file, args: ['--workers', String(workers), '--metrics'], t });
    let ok = 0;
    for (let i = 0; i < 40 && ok < 10; i++) {
      const res = await httpRequest(gw.http, { host: 'a.test', path: '/' }).catch(() => undefined);
      if (res?.status === 200) ok += 1;
    }
    assert.equal(ok, 10, 'the gateway serves');
    assert.equal((await httpRequest(gw.http, { host: 'b.test', path: '/' })).status, 404);

    // Cluster workers report their upstream state to the primary once a second.
    let page = '';
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${gw.admin}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      page = await res.text();
      if (sample(page, 'swarmgate_upstreams{backend="web",state="ready"}') === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(sample(page, 'swarmgate_requests_total{route="web/default",code="200"}'), ok);
    assert.equal(sample(page, 'swarmgate_requests_total{route="",code="404"}'), 1);
    assert.equal(sample(page, 'swarmgate_request_errors_total{route="",error="SG_ERR_NO_ROUTE"}'), 1);
    assert.equal(sample(page, 'swarmgate_request_duration_seconds_count{route="web/default"}'), ok);
    assert.equal(sample(page, 'swarmgate_upstreams{backend="web",state="ready"}'), 2);
    assert.equal(sample(page, 'swarmgate_table_routes'), 1);
    assert.equal(sample(page, 'swarmgate_table_swaps_total'), 1, 'one table, whatever the workers');
    assert.ok(
      (sample(page, 'process_cpu_user_seconds_total') ?? 0) > 0,
      'process metrics of the proxying processes',
    );
    assert.equal(await gw.stop(), 0, 'graceful shutdown exits 0');
  });
}
