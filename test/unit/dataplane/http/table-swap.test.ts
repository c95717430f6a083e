import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import type { TableSwapEvent } from '../../../../src/dataplane/http/diagnostics.js';
import { startServer, waitFor } from '../upstreams/servers.js';
import { backend, route, table, upstream } from '../upstreams/table-fixtures.js';
import { send, startGateway } from './harness.js';

test('a table swap mid-request: the request in flight completes on the old table, the next uses the new', async (t) => {
  const swaps: TableSwapEvent[] = [];
  const onSwap = (m: unknown): void => {
    swaps.push(m as TableSwapEvent);
  };
  diagnostics_channel.subscribe('swarmgate:table:swap', onSwap);
  t.after(() => diagnostics_channel.unsubscribe('swarmgate:table:swap', onSwap));

  let held: ServerResponse | undefined;
  const old = await startServer(t, (_req, res) => {
    held = res;
  });
  const fresh = await startServer(t, (_req, res) => res.end('new'));
  const v1 = table(
    [route('web/default', 'web')],
    [backend('web', [upstream('task:old:80', { port: old.port })])],
    'v1',
  );
  const v2 = table(
    [route('web/default', 'web')],
    [backend('web', [upstream('task:new:80', { port: fresh.port })])],
    'v2',
  );
  const { port, gateway } = await startGateway(t, v1);

  const inFlight = send(port);
  await waitFor(() => held !== undefined, 'the old upstream got the request');
  assert.equal(gateway.setTable(v2), true);
  assert.equal(gateway.setTable(v2), false, 'an unchanged version is skipped');
  assert.equal(gateway.table?.version, 'v2');
  assert.equal((await send(port)).body, 'new');
  held!.end('old');
  const first = await inFlight;
  assert.equal(first.status, 200);
  assert.equal(first.body, 'old');
  assert.deepEqual(
    swaps.map((s) => [s.previousVersion, s.version]),
    [
      [undefined, 'v1'],
      ['v1', 'v2'],
    ],
  );
});

test('swapTable compiles a large table between turns of the event loop; swaps apply in call order', async (t) => {
  const origin = await startServer(t, (_req, res) => res.end('ok'));
  const small = (version: string) =>
    table(
      [route('web/default', 'web')],
      [backend('web', [upstream('task:w:80', { port: origin.port })])],
      version,
    );
  const routes = [route('web/default', 'web')];
  const backends = [backend('web', [upstream('task:w:80', { port: origin.port })])];
  for (let i = 1; i < 3000; i++) {
    routes.push(route(`s${i}/default`, `s${i}`, { hosts: [`s${i}.example.com`] }));
    backends.push(backend(`s${i}`, [upstream(`task:s${i}a:80`), upstream(`task:s${i}b:80`)]));
  }
  const large = table(routes, backends, 'v2');
  const { port, gateway } = await startGateway(t, small('v1'));

  let turns = 0;
  const tick = () => {
    turns++;
    ticker = setImmediate(tick);
  };
  let ticker = setImmediate(tick);
  t.after(() => clearImmediate(ticker));
  const toLarge = gateway.swapTable(large);
  const toSmall = gateway.swapTable(small('v3'));
  assert.equal(gateway.table?.version, 'v1', 'nothing is swapped before the compile has run');
  assert.equal(await toLarge, true);
  const turnsDuringLargeSwap = turns;
  assert.equal(await toSmall, true);
  assert.equal(gateway.table?.version, 'v3', 'the later table is the one served');
  assert.equal(await gateway.swapTable(small('v3')), false, 'an unchanged version is skipped');
  assert.ok(
    turnsDuringLargeSwap > 3,
    `the event loop turned ${turnsDuringLargeSwap} times during the compile`,
  );
  assert.equal((await send(port)).body, 'ok');
});
