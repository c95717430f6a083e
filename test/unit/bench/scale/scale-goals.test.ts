import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateGoals } from '../../../../bench/goals.js';
import { evaluateScaleGoals } from '../../../../bench/scale/scale-goals.js';
import { scaleResult, withFloor } from './fixture.js';

const MiB = 1024 * 1024;

test('the scale goals pass with their numbers beside them', () => {
  assert.deepEqual(evaluateScaleGoals(scaleResult()), [
    {
      goal: '10,000 idle keep-alive connections: RSS per connection ≤ 3× nginx',
      measured: '2.50× (5.0 KiB vs 2.0 KiB per connection)',
      status: 'PASS',
    },
    {
      goal: '10,000 WebSockets, a message per 10 s each: RSS per socket ≤ 3× nginx, every echo back',
      measured: '2.50× (25.0 KiB vs 10.0 KiB per socket); echo p99 2.00 vs 1.00 ms; CPU 0.050 vs 0.010 cores',
      status: 'PASS',
    },
    {
      goal: '1 GiB upload: ≥ 0.7× nginx throughput, peak RSS growth ≤ 64.0 MiB',
      measured: '0.80× (400 vs 500 MiB/s); peak RSS growth 20.0 MiB (nginx 0.0 MiB)',
      status: 'PASS',
    },
    {
      goal: '1 GiB download: ≥ 0.7× nginx throughput, peak RSS growth ≤ 64.0 MiB',
      measured: '0.75× (450 vs 600 MiB/s); peak RSS growth 30.0 MiB (nginx 0.0 MiB)',
      status: 'PASS',
    },
    {
      goal: '10,000 routes × 5 upstreams swapped under load: worst 1-second p99 around the swap ≤ 2× before',
      measured:
        '1.50× (4.00 → 6.00 ms over 5.0 s, max 12.0 ms; served after 850 ms; 0 errors); ' +
        'nginx reload 1.20× (5.00 → 6.00 ms, 12 errors)',
      status: 'PASS',
    },
  ]);
});

test('the goals follow the sizes of a quick run', () => {
  const quick = scaleResult();
  quick.sizes = { ...quick.sizes, idleConnections: 1_000, websockets: 1_000, transferBytes: 256 * MiB };
  const goals = evaluateScaleGoals(quick).map((g) => g.goal);
  assert.equal(goals[0], '1,000 idle keep-alive connections: RSS per connection ≤ 3× nginx');
  assert.match(goals[1]!, /^1,000 WebSockets/);
  assert.match(goals[2]!, /^256 MiB upload/);
});

test('more than 3× nginx memory per idle connection misses', () => {
  const scale = scaleResult();
  scale.idle[1]!.perConnectionBytes = 6.5 * 1024;
  const [idle] = evaluateScaleGoals(scale);
  assert.equal(idle?.status, 'MISS');
  assert.equal(idle?.measured, '3.25× (6.5 KiB vs 2.0 KiB per connection)');
});

test('connections the gateway dropped make the row miss, whatever the memory', () => {
  const scale = scaleResult();
  scale.idle[1]!.held = 9_000;
  const [idle] = evaluateScaleGoals(scale);
  assert.equal(idle?.status, 'MISS');
  assert.match(idle?.measured ?? '', /; swarmgate held only 9,000\)$/);
});

test('a lost echo makes the WebSocket row miss and says how many came back', () => {
  const scale = scaleResult();
  scale.websocket[1]!.echoed = 29_990;
  const ws = evaluateScaleGoals(scale)[1];
  assert.equal(ws?.status, 'MISS');
  assert.match(ws?.measured ?? '', /; swarmgate echoed 29,990\/30,000, held 10,000\/10,000$/);
});

test('a transfer misses when it is too slow or its memory grows with the body', () => {
  const slow = scaleResult();
  slow.transfer[1]!.throughput = 300 * MiB; // 0.60× nginx's 500
  assert.equal(evaluateScaleGoals(slow)[2]?.status, 'MISS');
  const growing = scaleResult();
  growing.transfer[3]!.peakGrowthBytes = 65 * MiB;
  const download = evaluateScaleGoals(growing)[3];
  assert.equal(download?.status, 'MISS');
  assert.match(download?.measured ?? '', /peak RSS growth 65\.0 MiB/);
  const failed = scaleResult();
  failed.transfer[1]!.status = 502;
  assert.match(evaluateScaleGoals(failed)[2]?.measured ?? '', /; swarmgate answered 502$/);
  assert.equal(evaluateScaleGoals(failed)[2]?.status, 'MISS');
});

test('a p99 spike at the swap, an error, or a table never served misses', () => {
  const spike = scaleResult();
  spike.swap[1]!.aroundP99Ms = 9; // 2.25× the 4 ms before
  assert.equal(evaluateScaleGoals(spike)[4]?.status, 'MISS');
  const errors = scaleResult();
  errors.swap[1]!.errors = 1;
  assert.equal(evaluateScaleGoals(errors)[4]?.status, 'MISS');
  const neverServed = scaleResult();
  neverServed.swap[1]!.appliedAfterMs = undefined;
  const swap = evaluateScaleGoals(neverServed)[4];
  assert.equal(swap?.status, 'MISS');
  assert.match(swap?.measured ?? '', /; not applied;/);
});

test('a row without one of the two gateways is N/A and names the failure', () => {
  const scale = scaleResult();
  scale.idle = scale.idle.filter((r) => r.target !== 'nginx');
  scale.failures.push({ row: 'idle', target: 'nginx', error: 'nginx: [emerg] bind() failed' });
  scale.swap = [];
  const goals = evaluateScaleGoals(scale);
  assert.deepEqual(goals[0], {
    goal: '10,000 idle keep-alive connections: RSS per connection ≤ 3× nginx',
    measured: 'nginx failed: nginx: [emerg] bind() failed',
    status: 'N/A',
  });
  assert.equal(goals[4]?.status, 'N/A');
  assert.equal(goals[4]?.measured, 'no swarmgate result');
});

test('the bench goals end with the scale goals when the rows ran, and have none when they did not', () => {
  assert.equal(evaluateGoals([], [], [], undefined).length, 6);
  const goals = evaluateGoals([], [], [], undefined, scaleResult());
  assert.equal(goals.length, 11);
  assert.match(goals[6]!.goal, /idle keep-alive connections/);
});

test('issue 17: the idle and download goals name the bare node:http floor beside nginx', () => {
  const goals = evaluateScaleGoals(withFloor(scaleResult()));
  assert.equal(
    goals[0]?.measured,
    '2.50× (5.0 KiB vs 2.0 KiB per connection; bare node:http 4.0 KiB, 2.00× nginx)',
  );
  assert.equal(goals[0]?.status, 'PASS');
  assert.equal(
    goals[3]?.measured,
    '0.75× (450 vs 600 MiB/s; bare node:http proxy 500 MiB/s, 0.83× nginx); peak RSS growth 30.0 MiB (nginx 0.0 MiB)',
  );
  assert.equal(
    goals[2]?.measured,
    '0.80× (400 vs 500 MiB/s); peak RSS growth 20.0 MiB (nginx 0.0 MiB)',
    'no floor row: no floor text',
  );
});
