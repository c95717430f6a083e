import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterState } from '../../../src/cli/run/cluster-state.js';
import type { GatewayRoutesState, UpstreamRuntime } from '../../../src/dataplane/http/routes-state.js';
import { backend, route, table, upstream } from '../dataplane/upstreams/table-fixtures.js';

const runtime = (inflight: number, healthy = true): UpstreamRuntime => ({
  healthy,
  inflight,
  state: 'ready',
  drainingSince: null,
});

/** One worker's report: its table `version`, one upstream `task:a:80` in the table, and retiring ones. */
function report(
  version: string,
  live: UpstreamRuntime,
  retiring: Array<[id: string, inflight: number]>,
): GatewayRoutesState {
  const data = table([route('web/default', 'web')], [backend('web', [upstream('task:a:80')])], version);
  return {
    version,
    routes: data.routes,
    backends: data.backends.map((b) => ({
      ...b,
      upstreams: b.upstreams.map((u) => ({ ...u, runtime: live })),
    })),
    diagnostics: [],
    retiring: retiring.map(([id, inflight]) => ({
      ...upstream(id),
      runtime: { ...runtime(inflight), state: 'removed' as const },
    })),
  };
}

test('the cluster view adds up in-flight counts and connections, live and retiring, across workers', () => {
  const state = new ClusterState();
  state.report(1, {
    type: 'state',
    inflight: 3,
    connections: 5,
    routes: report('v2', runtime(2), [['task:old:80', 1]]),
  });
  state.report(2, {
    type: 'state',
    inflight: 4,
    connections: 6,
    routes: report('v2', runtime(1, false), [
      ['task:old:80', 2],
      ['task:older:80', 1],
    ]),
  });
  const merged = state.routesState()!;
  assert.equal(state.inflight, 7);
  assert.equal(state.connections, 11);
  assert.deepEqual(merged.backends[0]!.upstreams[0]!.runtime, runtime(3, false));
  assert.deepEqual(
    merged.retiring.map((u) => [u.id, u.runtime.inflight, u.runtime.state]),
    [
      ['task:old:80', 3, 'removed'],
      ['task:older:80', 1, 'removed'],
    ],
  );
});
