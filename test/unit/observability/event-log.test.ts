import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { requestEndChannel, tableSwapChannel } from '../../../src/dataplane/http/diagnostics.js';
import { publishHealth } from '../../../src/dataplane/upstreams/health-channel.js';
import { attachEventLog } from '../../../src/observability/event-log.js';

function capture(level = 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: pino({ level }, stream) };
}

const request = {
  client: '203.0.113.9',
  peer: '10.0.0.7',
  method: 'GET',
  host: 'a.test',
  url: '/x',
  routeId: 'web/default',
  upstreamId: 'task:t1@10.0.0.1:80',
  status: 200,
  durationMs: 1.234,
  retries: 1,
  errorCode: undefined,
  upgrade: false,
};

test('logs health flips and table swaps; the access log only when asked', async (t) => {
  const { lines, logger } = capture();
  const detach = attachEventLog(logger, { accessLog: false });
  t.after(detach);
  publishHealth({ id: 'u1', address: '10.0.0.1:80' }, false, 'passive', 'connect');
  tableSwapChannel.publish({ previousVersion: 'a', version: 'b', routes: 3 });
  assert.equal(requestEndChannel.hasSubscribers, false, 'no access log: the hot path publishes nothing');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    lines.map((l) => [l.msg, l.upstream ?? l.version]),
    [
      ['upstream marked down', 'u1'],
      ['table swapped in', 'b'],
    ],
  );
});

test('a removed upstream found unreachable is logged with how many requests it ended', async (t) => {
  const { lines, logger } = capture('warn');
  const detach = attachEventLog(logger, { accessLog: false });
  t.after(detach);
  publishHealth({ id: 'u2', address: '10.0.0.2:80' }, false, 'removed', 'timeout', 3);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    lines.map(({ msg, upstream, address, source, reason, ended, level }) => ({
      msg,
      upstream,
      address,
      source,
      reason,
      ended,
      level,
    })),
    [
      {
        msg: 'removed upstream does not answer: requests awaiting it ended',
        upstream: 'u2',
        address: '10.0.0.2:80',
        source: 'removed',
        reason: 'timeout',
        ended: 3,
        level: 40,
      },
    ],
  );
});

test('the access log carries the client (and the proxy it came through), status, duration, route, upstream and retries', async (t) => {
  const { lines, logger } = capture();
  const detach = attachEventLog(logger, { accessLog: true });
  requestEndChannel.publish(request);
  detach();
  requestEndChannel.publish(request);
  await new Promise((resolve) => setImmediate(resolve));
  t.diagnostic(JSON.stringify(lines));
  assert.equal(lines.length, 1, 'one line, and none after detaching');
  assert.deepEqual(
    { ...lines[0], time: undefined, pid: undefined, hostname: undefined },
    {
      level: 30,
      time: undefined,
      pid: undefined,
      hostname: undefined,
      msg: 'request',
      client: '203.0.113.9',
      peer: '10.0.0.7',
      method: 'GET',
      host: 'a.test',
      url: '/x',
      status: 200,
      ms: 1.2,
      route: 'web/default',
      upstream: 'task:t1@10.0.0.1:80',
      retries: 1,
    },
  );
});

test('the access log leaves the peer out when it is the client', async (t) => {
  const { lines, logger } = capture();
  const detach = attachEventLog(logger, { accessLog: true });
  t.after(detach);
  requestEndChannel.publish({ ...request, client: '192.0.2.1', peer: '192.0.2.1' });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(lines[0]!.client, '192.0.2.1');
  assert.equal('peer' in lines[0]!, false);
});

test('the access log is written whatever --log-level quiets, which holds for the other events', async (t) => {
  for (const level of ['warn', 'error', 'fatal']) {
    const { lines, logger } = capture(level);
    const detach = attachEventLog(logger, { accessLog: true });
    t.after(detach);
    requestEndChannel.publish(request);
    publishHealth({ id: 'u1', address: '10.0.0.1:80' }, true, 'active', '200');
    detach();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg]),
      [[30, 'request']],
      `--log-level ${level}: the access line, not the info-level health line`,
    );
  }
});
