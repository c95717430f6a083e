import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gatewayStack } from './support/gateway-stack.js';
import { httpRequest } from './support/http-client.js';
import { whoami } from './support/http-whoami.js';

// `swarmgate run` on the host routes by host name and path prefix to tasks' dynamic host-mode ports.
test('gateway routing: host and path rules reach the right service in hostport mode', async (t) => {
  const { rig, stack, gw } = await gatewayStack(t, 'gateway-routing.yml', 'gwroute');
  const [a, b] = [`${stack}_a`, `${stack}_b`];
  const twoReady = (s: { upstreams: Array<{ state: string }> }) =>
    s.upstreams.filter((u) => u.state === 'ready').length === 2;
  await gw.waitForRoute(`${a}/default`, twoReady);
  await gw.waitForRoute(`${b}/default`, twoReady);
  const namesOf = async (service: string) => new Set((await rig.tasks(service)).map((task) => task.name));
  const [tasksA, tasksB] = [await namesOf(a), await namesOf(b)];

  await t.test('the table uses hostport upstreams at node IPs and the tasks dynamic ports', async () => {
    const table = await gw.table();
    const nodeIps = new Set(rig.nodes.map((n) => n.ip));
    for (const service of [a, b]) {
      const backend = table?.backends.find((be) => be.service === service);
      assert.equal(backend?.mode, 'hostport', `${service} is reached on host ports`);
      for (const upstream of backend.upstreams) {
        assert.ok(nodeIps.has(upstream.host), `${upstream.address} is a rig node`);
        assert.ok(upstream.port >= 30_000, `${upstream.address} is a dynamic (ephemeral) port`);
      }
    }
  });

  await t.test('Host a.test reaches service A with the path untouched', async (st) => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const answer = whoami(await httpRequest(gw.http, { host: 'a.test', path: `/api/x?n=${i}` }));
      assert.ok(tasksA.has(answer.name), `${answer.name} is a task of ${a}`);
      assert.equal(answer.url, `/api/x?n=${i}`);
      seen.add(answer.name);
    }
    st.diagnostic(`a.test: 20 requests reached ${seen.size} of ${tasksA.size} tasks of ${a}`);
  });

  await t.test('host matching ignores case and the port', async () => {
    const answer = whoami(await httpRequest(gw.http, { host: `A.Test:${gw.port}`, path: '/' }));
    assert.ok(tasksA.has(answer.name));
  });

  await t.test('b.test/api/... reaches service B with /api stripped', async (st) => {
    const cases = [
      ['/api/users/7?q=1', '/users/7?q=1'],
      ['/api', '/'],
      ['/api/', '/'],
      ['/api?x=y', '/?x=y'],
    ] as const;
    for (const [path, forwarded] of cases) {
      const answer = whoami(await httpRequest(gw.http, { host: 'b.test', path }));
      assert.ok(tasksB.has(answer.name), `${path}: ${answer.name} is a task of ${b}`);
      assert.equal(answer.url, forwarded, `${path} is forwarded as ${forwarded}`);
    }
    st.diagnostic(`b.test: ${cases.length} strip-path cases forwarded as expected`);
  });

  await t.test('paths outside the prefix and unknown hosts get 404', async () => {
    for (const [host, path] of [
      ['b.test', '/apiary'],
      ['b.test', '/'],
      ['c.test', '/'],
      ['a.test.evil', '/'],
    ] as const) {
      const res = await httpRequest(gw.http, { host, path });
      assert.equal(res.status, 404, `${host}${path}`);
      assert.equal(res.headers['x-whoami-name'], undefined, 'answered by the gateway, not a backend');
    }
  });

  await t.test(
    'X-Forwarded-* headers arrive at the backend; spoofed ones from the client are replaced',
    async () => {
      const answer = whoami(
        await httpRequest(gw.http, {
          host: 'b.test',
          path: '/api/fwd',
          headers: {
            'x-forwarded-for': '203.0.113.9',
            'x-forwarded-host': 'evil.test',
            'x-real-ip': '203.0.113.9',
          },
        }),
      );
      const h = answer.headers;
      assert.equal(h['x-forwarded-for'], '127.0.0.1');
      assert.equal(h['x-forwarded-proto'], 'http');
      assert.equal(h['x-forwarded-host'], 'b.test');
      assert.equal(
        h['x-forwarded-port'],
        '80',
        'the port the client addressed: none in Host, the http default',
      );
      assert.equal(h['x-real-ip'], '127.0.0.1');
      assert.equal(h.forwarded, 'for=127.0.0.1;host=b.test;proto=http');
      assert.equal(h.host, 'b.test', 'the Host header is passed through');
    },
  );
});
