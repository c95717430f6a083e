import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CompiledTable,
  type CompileOptions,
  compileTable,
  compileTableInSlices,
} from '../../../src/dataplane/compiled-table.js';
import { fetchFromPool } from '../../../src/dataplane/upstreams/http1/pool-fetch.js';
import { UpstreamRegistry } from '../../../src/dataplane/upstreams/upstream-registry.js';
import { startServer } from './upstreams/servers.js';
import { backend, registryOptions, route, table, upstream } from './upstreams/table-fixtures.js';

const options: CompileOptions = { role: 'run', stickySecret: Buffer.from('secret') };

function newRegistry(t: { after: (fn: () => Promise<void>) => void }) {
  const registry = new UpstreamRegistry(registryOptions());
  t.after(() => registry.close());
  return registry;
}

const shopTable = (version = 'v1') =>
  table(
    [
      route('shop/default', 'shop', {
        hosts: ['shop.example.com'],
        path: '/shop',
        stripPath: true,
        priority: 2,
      }),
      route('web/default', 'web', { hosts: ['*.example.com'], priority: 1 }),
      route('ghost/default', 'missing', { hosts: ['ghost.example.com'] }),
    ],
    [
      backend('shop', [upstream('task:s1:80'), upstream('task:s2:80')]),
      backend('web', [upstream('task:w1:80')]),
    ],
    version,
  );

test('compiling syncs the registry and exposes the table, in table order', (t) => {
  const registry = newRegistry(t);
  const compiled = compileTable(shopTable(), registry, options);
  assert.equal(compiled.version, 'v1');
  assert.equal(compiled.role, 'run');
  assert.deepEqual(
    compiled.routes.map((r) => [r.route.id, r.upstreams.map((u) => u.id)]),
    [
      ['shop/default', ['task:s1:80', 'task:s2:80']],
      ['web/default', ['task:w1:80']],
      ['ghost/default', []],
    ],
  );
  assert.equal(compiled.routes[0]!.upstreams[0], registry.get('task:s1:80'));
  assert.ok(Object.isFrozen(compiled));
  assert.ok(Object.isFrozen(compiled.routes));
});

test('match returns the compiled route and the path to forward', (t) => {
  const compiled = compileTable(shopTable(), newRegistry(t), options);
  const shop = compiled.match('Shop.Example.com:443', '/shop/cart?id=1');
  assert.equal(shop?.route.route.id, 'shop/default');
  assert.equal(shop?.forwardPath, '/cart?id=1');
  const web = compiled.match('shop.example.com', '/shopping');
  assert.equal(web?.route.route.id, 'web/default');
  assert.equal(web?.forwardPath, '/shopping');
  assert.equal(compiled.match('example.org', '/'), undefined);
});

test('a route whose backend is missing has nobody to select', (t) => {
  const compiled = compileTable(shopTable(), newRegistry(t), options);
  assert.equal(compiled.routes[2]?.select(undefined, false), undefined);
});

test('select balances over available upstreams, honours exclude, and reuses its answers', (t) => {
  const registry = newRegistry(t);
  const shop = compileTable(shopTable(), registry, options).routes[0]!;
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) seen.add(shop.select(undefined, false)!.upstream.id);
  assert.deepEqual([...seen].sort(), ['task:s1:80', 'task:s2:80']);
  assert.equal(shop.select(undefined, false, new Set(['task:s1:80']))?.upstream.id, 'task:s2:80');
  assert.equal(
    shop.select(undefined, false, new Set(['task:s1:80'])),
    shop.select(undefined, false, new Set(['task:s1:80'])),
    'no allocation per selection',
  );
  registry.get('task:s2:80')!.reportFailure('connect');
  assert.equal(shop.select(undefined, false, new Set(['task:s1:80'])), undefined);
});

test('a table compiled earlier keeps working on the shared handles after a swap', (t) => {
  const registry = newRegistry(t);
  const old = compileTable(shopTable(), registry, options);
  const next = shopTable('v2');
  next.backends[0]!.upstreams = [upstream('task:s2:80'), upstream('task:s3:80')];
  const current = compileTable(next, registry, options);
  const oldShop = old.match('shop.example.com', '/shop')!.route;
  for (let i = 0; i < 20; i++) assert.equal(oldShop.select(undefined, false)?.upstream.id, 'task:s2:80');
  assert.equal(current.routes[0]!.upstreams[0], oldShop.upstreams[1]);
});

test('end to end: match, select and a real request through the chosen pool', async (t) => {
  const server = await startServer(t, (req, res) => res.end(`upstream saw ${req.url}`));
  const registry = newRegistry(t);
  const served = table(
    [route('app/default', 'app', { path: '/app', stripPath: true, sticky: { cookie: 'sg_app' } })],
    [backend('app', [upstream('task:a:80', { port: server.port })])],
  );
  const compiled = compileTable(served, registry, options);
  const m = compiled.match('app.example.com', '/app/hello?x=1')!;
  const selection = m.route.select(undefined, false)!;
  assert.ok(selection.setCookie?.startsWith('sg_app='));
  selection.upstream.requestStarted();
  const headers = ['host', 'app.example.com'];
  const res = await fetchFromPool(selection.upstream.pool, 'GET', m.forwardPath, headers, {
    timeoutMs: 5_000,
  });
  assert.equal(res.body.toString(), 'upstream saw /hello?x=1');
  selection.upstream.reportSuccess();
  selection.upstream.requestFinished();
  assert.equal(selection.upstream.inflight, 0);
});

test('a compile in slices builds the same table, and retires upstreams that left only after swapIn', async (t) => {
  const registry = newRegistry(t);
  compileTable(shopTable('v1'), registry, options);
  const gone = registry.get('task:w1:80')!;
  const next = table(
    [route('shop/default', 'shop', { hosts: ['shop.example.com'] }), route('web/default', 'web')],
    [
      backend('shop', [upstream('task:s1:80'), upstream('task:s3:80')]),
      backend('web', [upstream('task:w2:80')]),
    ],
    'v2',
  );
  let swapped: CompiledTable | undefined;
  let goneStateAtSwap: string | undefined;
  await compileTableInSlices(next, registry, options, (compiled) => {
    swapped = compiled;
    goneStateAtSwap = gone.state;
  });
  assert.notEqual(goneStateAtSwap, 'removed', 'the table served until the swap still finds its upstreams');
  assert.equal(gone.state, 'removed');
  assert.equal(registry.get('task:s2:80'), undefined, 'an idle upstream that left is gone');
  const inOneGo = compileTable(next, newRegistry(t), options);
  assert.equal(swapped?.version, 'v2');
  assert.deepEqual(
    swapped?.routes.map((r) => [r.route.id, r.upstreams.map((u) => u.id)]),
    inOneGo.routes.map((r) => [r.route.id, r.upstreams.map((u) => u.id)]),
  );
  assert.equal(swapped?.match('shop.example.com', '/')?.route.route.id, 'shop/default');
});
