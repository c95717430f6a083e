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
