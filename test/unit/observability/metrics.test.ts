import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { attachRequestMetrics } from '../../../src/observability/request-metrics.js';
import { registerStateMetrics } from '../../../src/observability/state-metrics.js';
import { rawExchange, send, startGateway } from '../dataplane/http/harness.js';
import { closedPort, startServer } from '../dataplane/upstreams/servers.js';
import { backend, route, table, upstream } from '../dataplane/upstreams/table-fixtures.js';

/** The value of the sample `series` (name plus labels, exactly as exposed). */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('requests, errors, retries, durations and upstream state reach the registry', async (t) => {
  const web = await startServer(t, (_req, res) => res.end('ok'));
  const registry = new Registry();
  t.after(attachRequestMetrics(registry));
  const { gateway, port } = await startGateway(
    t,
    table(
      [route('web/default', 'web', { balance: 'round-robin' })],
      [
        backend('web', [
          upstream('task:dead:80', { port: await closedPort() }),
          upstream('task:live:80', { port: web.port }),
          upstream('task:old:80', { port: web.port, state: 'draining' }),
        ]),
      ],
    ),
  );
  registerStateMetrics(registry, gateway);
  for (let i = 0; i < 4; i++) assert.equal((await send(port, {})).status, 200);
  assert.equal((await send(port, { headers: { host: 'unknown.test' } })).status, 404);
  assert.match((await rawExchange(port, 'garbage\r\n\r\n')).reply, /^HTTP\/1\.1 400 /);

  const page = await registry.metrics();
  assert.equal(sample(page, 'swarmgate_requests_total{route="web/default",code="200"}'), 4);
  assert.equal(sample(page, 'swarmgate_requests_total{route="",code="404"}'), 1);
  assert.equal(sample(page, 'swarmgate_request_errors_total{route="",error="SG_ERR_NO_ROUTE"}'), 1);
  assert.equal(sample(page, 'swarmgate_request_duration_seconds_count{route="web/default"}'), 4);
  assert.equal(sample(page, 'swarmgate_requests_total{route="",code="400"}'), 1);
  assert.equal(
    sample(page, 'swarmgate_request_duration_seconds_count{route=""}'),
    1,
    'the 404 was timed; the unparsed 400 has no duration',
  );
  // Round robin sends every other new request to the dead upstream first; each is retried once.
  assert.ok((sample(page, 'swarmgate_upstream_retries_total{route="web/default"}') ?? 0) >= 1);
  assert.equal(sample(page, 'swarmgate_table_swaps_total'), 1);
  assert.equal(sample(page, 'swarmgate_table_routes'), 1);
  assert.equal(sample(page, 'swarmgate_inflight_requests'), 0);
  assert.equal(sample(page, 'swarmgate_upstreams{backend="web",state="ready"}'), 1);
  assert.equal(sample(page, 'swarmgate_upstreams{backend="web",state="draining"}'), 1);
  assert.equal(
    sample(page, 'swarmgate_upstreams{backend="web",state="down"}'),
    1,
    'the dead one failed its connects',
  );
  assert.equal(
    sample(page, 'swarmgate_upstream_inflight_requests{backend="web",upstream="task:live:80"}'),
    0,
  );
});

test('a scrape builds the routes state once, and the next scrape sees the state anew', async (t) => {
  const web = await startServer(t, (_req, res) => res.end('ok'));
  const backends = [backend('web', [upstream('task:live:80', { port: web.port })])];
  const { gateway } = await startGateway(t, table([route('web/default', 'web')], backends));
  let reads = 0;
  const registry = new Registry();
  registerStateMetrics(registry, {
    routesState: () => {
      reads += 1;
      return gateway.routesState();
    },
    inflight: 0,
    connections: 0,
    listening: true,
    closing: false,
  });
  assert.equal(sample(await registry.metrics(), 'swarmgate_table_routes'), 1);
  assert.equal(reads, 1, 'three gauges, one read');
  await new Promise((resolve) => setImmediate(resolve));
  gateway.setTable(
    table([route('web/default', 'web'), route('web/api', 'web', { path: '/api' })], backends, 'v2'),
  );
  assert.equal(sample(await registry.metrics(), 'swarmgate_table_routes'), 2);
  assert.equal(reads, 2);
});
