import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CompileOptions, compileTable } from '../../../../src/dataplane/compiled-table.js';
import { stickyCookieValue } from '../../../../src/dataplane/sticky/cookie-value.js';
import { UpstreamRegistry } from '../../../../src/dataplane/upstreams/upstream-registry.js';
import type { Upstream } from '../../../../src/routing/table.js';
import {
  backend,
  ManualClock,
  registryOptions,
  route,
  table,
  upstream,
} from '../upstreams/table-fixtures.js';

const secret = Buffer.from('shared-secret-for-tests');
const options: CompileOptions = { role: 'border', stickySecret: secret };
const DRAIN_MS = 30_000;

function stickyTable(upstreams: Upstream[], version = 'v1') {
  const shop = route('shop/default', 'shop:task:80', {
    path: '/shop',
    sticky: { cookie: 'sg_shop' },
    balance: 'round-robin',
  });
  return table([shop], [backend('shop:task:80', upstreams)], version);
}

const ready = (id: string) =>
  upstream(`task:${id}:80`, { host: `10.0.0.${id.charCodeAt(0) - 96}`, port: 80 });
const draining = (id: string) => ({ ...ready(id), state: 'draining' as const });
const cookieFor = (id: string, routeId = 'shop/default') =>
  `other=1; sg_shop=${stickyCookieValue(secret, routeId, `task:${id}:80`)}`;

function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const env = new Gateway();
  t.after(() => env.registry.close());
  return env;
}

/** One gateway's registry on a manual clock; `compile` returns the shop route of a fresh compile. */
class Gateway {
  readonly clock = new ManualClock();
  readonly registry = new UpstreamRegistry(
    registryOptions({ now: this.clock.now, drainTimeoutMs: DRAIN_MS }),
  );
  compile(upstreams: Upstream[], opts: CompileOptions = options) {
    return compileTable(stickyTable(upstreams), this.registry, opts).match('app.example.com', '/shop')!.route;
  }
}

test('the first request is balanced and pinned with a Set-Cookie; fresh clients spread', (t) => {
  const route = setup(t).compile([ready('a'), ready('b'), ready('c')]);
  const first = route.select(undefined, false)!;
  const second = route.select('unrelated=1', false)!;
  assert.notEqual(first.upstream.id, second.upstream.id);
  const value = stickyCookieValue(secret, 'shop/default', first.upstream.id);
  assert.equal(first.setCookie, `sg_shop=${value}; Path=/shop; HttpOnly; SameSite=Lax`);
});

test('a valid cookie keeps the client on its upstream without a new Set-Cookie', (t) => {
  const route = setup(t).compile([ready('a'), ready('b'), ready('c')]);
  for (let i = 0; i < 5; i++) {
    const selection = route.select(cookieFor('b'), false)!;
    assert.equal(selection.upstream.id, 'task:b:80');
    assert.equal(selection.setCookie, undefined);
  }
});

test('https clients get a Secure cookie, and Max-Age appears when configured', (t) => {
  const env = setup(t);
  const route = env.compile([ready('a')]);
  assert.match(route.select(undefined, true)!.setCookie!, /; Secure$/);
  const withAge = stickyTable([ready('a')]);
  withAge.routes[0]!.sticky = { cookie: 'sg_shop', maxAge: 600 };
  const aged = compileTable(withAge, env.registry, options).routes[0]!;
  assert.match(aged.select(undefined, true)!.setCookie!, /; Secure; Max-Age=600$/);
});

test('an unknown value or a value of another route is re-pinned', (t) => {
  const route = setup(t).compile([ready('a'), ready('b')]);
  for (const header of ['sg_shop=garbage', cookieFor('a', 'shop/other')]) {
    const selection = route.select(header, false)!;
    assert.ok(selection.setCookie?.startsWith('sg_shop='));
  }
});

test('a cookie for an upstream that left the table is re-pinned to one still there', (t) => {
  const env = setup(t);
  env.compile([ready('a'), ready('b')]);
  const route = env.compile([ready('a'), ready('c')]);
  const selection = route.select(cookieFor('b'), false)!;
  assert.notEqual(selection.upstream.id, 'task:b:80');
  const value = stickyCookieValue(secret, 'shop/default', selection.upstream.id);
  assert.ok(selection.setCookie?.startsWith(`sg_shop=${value};`));
});

test('a cookie for an unhealthy upstream is re-pinned', (t) => {
  const env = setup(t);
  const route = env.compile([ready('a'), ready('b')]);
  env.registry.get('task:b:80')!.reportFailure('connect');
  const selection = route.select(cookieFor('b'), false)!;
  assert.equal(selection.upstream.id, 'task:a:80');
  assert.ok(selection.setCookie);
});

test('a retry that excludes the pinned upstream re-pins the client', (t) => {
  const route = setup(t).compile([ready('a'), ready('b')]);
  const selection = route.select(cookieFor('b'), false, new Set(['task:b:80']))!;
  assert.equal(selection.upstream.id, 'task:a:80');
  assert.ok(selection.setCookie?.includes(stickyCookieValue(secret, 'shop/default', 'task:a:80')));
  assert.equal(route.select(cookieFor('b'), false, new Set(['task:a:80', 'task:b:80'])), undefined);
});

test('a draining upstream keeps its sessions within the drain timeout but gets no new ones', (t) => {
  const env = setup(t);
  env.compile([ready('a'), ready('b')]);
  const route = env.compile([ready('a'), draining('b')]);
  env.clock.advance(DRAIN_MS - 1);
  const kept = route.select(cookieFor('b'), false)!;
  assert.equal(kept.upstream.id, 'task:b:80');
  assert.equal(kept.setCookie, undefined);
  for (let i = 0; i < 20; i++) assert.equal(route.select(undefined, false)!.upstream.id, 'task:a:80');
});

test('after the drain timeout a draining upstream loses its sessions', (t) => {
  const env = setup(t);
  env.compile([ready('a'), ready('b')]);
  const route = env.compile([ready('a'), draining('b')]);
  env.clock.advance(DRAIN_MS);
  const moved = route.select(cookieFor('b'), false)!;
  assert.equal(moved.upstream.id, 'task:a:80');
  assert.ok(moved.setCookie);
});

test('the drain clock starts when draining is first seen, not at each new table', (t) => {
  const env = setup(t);
  env.compile([ready('a'), draining('b')]);
  env.clock.advance(DRAIN_MS / 2);
  env.compile([ready('a'), draining('b')]);
  env.clock.advance(DRAIN_MS / 2);
  const route = env.compile([ready('a'), draining('b')]);
  assert.equal(route.select(cookieFor('b'), false)!.upstream.id, 'task:a:80');
});

test('CompileOptions.drainTimeoutMs overrides the registry drain timeout for sticky decisions', (t) => {
  const env = setup(t);
  const route = env.compile([ready('a'), draining('b')], { ...options, drainTimeoutMs: 1_000 });
  env.clock.advance(1_000);
  assert.equal(route.select(cookieFor('b'), false)!.upstream.id, 'task:a:80');
});

test('a draining upstream alone still serves its sessions, but nobody new', (t) => {
  const route = setup(t).compile([draining('b')]);
  assert.equal(route.select(cookieFor('b'), false)?.upstream.id, 'task:b:80');
  assert.equal(route.select(undefined, false), undefined);
});

test('pins survive recompiles and agree between gateways that share the secret', (t) => {
  const env = setup(t);
  const other = setup(t);
  const pinned = env.compile([ready('a'), ready('b'), ready('c')]).select(undefined, false)!;
  const cookie = `sg_shop=${pinned.setCookie!.split(';')[0]!.split('=')[1]}`;
  const recompiled = env.compile([ready('c'), ready('b'), ready('a')]);
  assert.equal(recompiled.select(cookie, false)!.upstream, pinned.upstream);
  assert.equal(
    other.compile([ready('a'), ready('b'), ready('c')]).select(cookie, false)!.upstream.id,
    pinned.upstream.id,
  );
});

test('a route without stickiness never sets a cookie', (t) => {
  const env = setup(t);
  const plain = stickyTable([ready('a'), ready('b')]);
  plain.routes[0]!.sticky = null;
  const route = compileTable(plain, env.registry, options).routes[0]!;
  for (let i = 0; i < 4; i++) assert.equal(route.select(cookieFor('a'), true)!.setCookie, undefined);
});
