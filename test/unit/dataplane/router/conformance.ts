import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { MatcherEntry, MatcherFactory, RouteRule } from '../../../../src/dataplane/router/matcher.js';

function rule(id: string, fields: Partial<RouteRule> = {}): RouteRule {
  return { id, hosts: ['example.com'], path: '/', priority: 0, stripPath: false, ...fields };
}

function entries(...rules: RouteRule[]): MatcherEntry<string>[] {
  return rules.map((r) => ({ rule: r, value: r.id }));
}

/** An obviously-correct linear matcher the real ones must agree with. */
function referenceMatch(rules: RouteRule[], rawHost: string | undefined, target: string) {
  const host = rawHost
    ?.replace(/^(\[[^\]]*\]).*$|:\d*$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  const hostOk = (r: RouteRule) =>
    r.hosts.length === 0 ||
    (host !== undefined &&
      host !== '' &&
      r.hosts.some((h) =>
        h.startsWith('*.')
          ? host.split('.').slice(1).join('.') === h.slice(2) &&
            host.split('.').length === h.split('.').length
          : h === host,
      ));
  const pathOk = (r: RouteRule) => {
    const path = target.split('?')[0]!;
    return r.path === '/' ? target.startsWith('/') : path === r.path || path.startsWith(`${r.path}/`);
  };
  const wins = rules
    .filter((r) => hostOk(r) && pathOk(r))
    .sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : 1));
  const best = wins[0];
  if (!best) return undefined;
  let forwardPath = target;
  if (best.stripPath && best.path !== '/') {
    forwardPath = target.slice(best.path.length);
    if (!forwardPath.startsWith('/')) forwardPath = `/${forwardPath}`;
  }
  return { route: best.id, forwardPath };
}

/**
 * What every route matcher must do. A new implementation plugs in by calling this with its factory.
 */
export function runMatcherConformance(name: string, create: MatcherFactory): void {
  describe(`matcher conformance: ${name}`, () => {
    test('exact hosts: case-insensitive, port and trailing dot ignored', () => {
      const m = create(entries(rule('a', { hosts: ['shop.example.com'] })));
      for (const host of [
        'shop.example.com',
        'SHOP.Example.Com',
        'shop.example.com:8080',
        'shop.example.com.',
      ]) {
        assert.equal(m.match(host, '/')?.route, 'a', host);
      }
      assert.equal(m.match('example.com', '/'), undefined);
      assert.equal(m.match('shop.example.com.evil', '/'), undefined);
      assert.equal(m.match(undefined, '/'), undefined);
      assert.equal(m.match('', '/'), undefined);
    });

    test('IPv6 literal hosts keep their brackets and lose their port', () => {
      const m = create(entries(rule('v6', { hosts: ['[::1]'] }), rule('v4', { hosts: ['127.0.0.1'] })));
      assert.equal(m.match('[::1]:8080', '/')?.route, 'v6');
      assert.equal(m.match('[::1]', '/')?.route, 'v6');
      assert.equal(m.match('127.0.0.1:80', '/')?.route, 'v4');
      assert.equal(m.match('[::2]:8080', '/'), undefined);
    });

    test('a wildcard matches exactly one extra leading label', () => {
      const m = create(entries(rule('w', { hosts: ['*.example.com'] })));
      assert.equal(m.match('a.example.com', '/')?.route, 'w');
      assert.equal(m.match('A.Example.com:443', '/')?.route, 'w');
      assert.equal(m.match('example.com', '/'), undefined);
      assert.equal(m.match('a.b.example.com', '/'), undefined);
      assert.equal(m.match('aexample.com', '/'), undefined);
    });

    test('path prefixes match on segment boundaries only', () => {
      const m = create(entries(rule('shop', { path: '/shop' })));
      for (const target of ['/shop', '/shop/', '/shop/x', '/shop?q=1', '/shop/x/y?z']) {
        assert.equal(m.match('example.com', target)?.route, 'shop', target);
      }
      for (const target of ['/shopping', '/shop.html', '/', '/Shop', '/x/shop']) {
        assert.equal(m.match('example.com', target), undefined, target);
      }
    });

    test('the root path matches every origin-form target, nothing else', () => {
      const m = create(entries(rule('root')));
      assert.equal(m.match('example.com', '/anything?x')?.route, 'root');
      assert.equal(m.match('example.com', '*'), undefined);
    });

    test('highest priority wins across exact, wildcard and any-host rules; ties go to the smaller id', () => {
      const m = create(
        entries(
          rule('exact-low', { hosts: ['a.example.com'], priority: 1 }),
          rule('wild-high', { hosts: ['*.example.com'], priority: 5 }),
          rule('any', { hosts: [], priority: 3 }),
          rule('b-tie', { hosts: ['b.example.com'], priority: 2 }),
          rule('a-tie', { hosts: ['*.example.com'], priority: 2, path: '/x' }),
        ),
      );
      assert.equal(m.match('a.example.com', '/')?.route, 'wild-high');
      assert.equal(m.match('other.org', '/')?.route, 'any');
      assert.equal(m.match(undefined, '/')?.route, 'any');
      const m2 = create(
        entries(
          rule('b', { hosts: ['b.example.com'], priority: 2 }),
          rule('a', { hosts: ['*.example.com'], priority: 2 }),
        ),
      );
      assert.equal(m2.match('b.example.com', '/x')?.route, 'a');
    });

    test('a longer path wins when it has the higher priority, the shorter one catches the rest', () => {
      const m = create(entries(rule('root', { priority: 1 }), rule('api', { path: '/api', priority: 2 })));
      assert.equal(m.match('example.com', '/api/v1')?.route, 'api');
      assert.equal(m.match('example.com', '/apix')?.route, 'root');
    });

    test('strip-path forwards the rest, always starting with a slash', () => {
      const m = create(
        entries(rule('shop', { path: '/shop', stripPath: true }), rule('keep', { path: '/keep' })),
      );
      const cases: [string, string][] = [
        ['/shop', '/'],
        ['/shop/', '/'],
        ['/shop/cart/1', '/cart/1'],
        ['/shop?q=1', '/?q=1'],
        ['/shop/x?y=/shop', '/x?y=/shop'],
        ['/keep/x?y', '/keep/x?y'],
      ];
      for (const [target, forward] of cases)
        assert.equal(m.match('example.com', target)?.forwardPath, forward);
      const root = create(entries(rule('root', { stripPath: true })));
      assert.equal(root.match('example.com', '/a?b')?.forwardPath, '/a?b');
    });

    test('is immutable once built', () => {
      const input = entries(rule('a', { hosts: ['a.example.com'] }));
      const m = create(input);
      input.push({ rule: rule('b', { hosts: ['b.example.com'] }), value: 'b' });
      (input[0]!.rule.hosts as string[]).push('late.example.com');
      assert.equal(m.match('b.example.com', '/'), undefined);
      assert.equal(m.match('late.example.com', '/'), undefined);
      assert.ok(Object.isFrozen(m));
      assert.throws(() => {
        (m as unknown as { match: unknown }).match = () => undefined;
      }, TypeError);
    });

    test('agrees with a linear reference matcher on random tables and requests', () => {
      const label = fc.constantFrom('a', 'b', 'shop', 'api');
      const hostArb = fc.oneof(
        fc.tuple(label, fc.constantFrom('example.com', 'test.org')).map(([l, d]) => `${l}.${d}`),
        fc.constantFrom('example.com', 'test.org', '*.example.com', '*.test.org'),
      );
      const pathArb = fc.constantFrom('/', '/shop', '/shop/cart', '/api', '/api/v1', '/a');
      const ruleArb = fc.record({
        hosts: fc.array(hostArb, { maxLength: 2 }),
        path: pathArb,
        priority: fc.integer({ min: 0, max: 3 }),
        stripPath: fc.boolean(),
      });
      const requestHost = fc.oneof(
        fc.constant(undefined),
        fc
          .tuple(
            fc.oneof(label, fc.constant('x.a')),
            fc.constantFrom('example.com', 'test.org', 'Example.COM'),
            fc.constantFrom('', ':8080', '.'),
          )
          .map(([l, d, suffix]) => `${l}.${d}${suffix}`),
        fc.constantFrom('example.com', 'test.org:443'),
      );
      const target = fc.tuple(
        fc.constantFrom(
          '/',
          '/shop',
          '/shopping',
          '/shop/',
          '/shop/cart/x',
          '/api',
          '/api/v1/z',
          '/apix',
          '/a/b',
        ),
        fc.constantFrom('', '?q=1', '?next=/shop'),
      );
      fc.assert(
        fc.property(
          fc.array(ruleArb, { maxLength: 8 }),
          requestHost,
          target,
          (specs, host, [path, query]) => {
            const rules = specs.map((s, i) => rule(`r${String(i).padStart(2, '0')}`, s));
            const got = create(entries(...rules)).match(host, path + query);
            assert.deepEqual(got, referenceMatch(rules, host, path + query));
          },
        ),
        { numRuns: 500 },
      );
    });

    test('agrees with the reference when one host carries many paths', () => {
      const segment = fc.constantFrom('a', 'b', 'shop', 'api', 'v1');
      const pathArb = fc.array(segment, { minLength: 0, maxLength: 3 }).map((s) => `/${s.join('/')}`);
      const ruleArb = fc.record({
        path: pathArb,
        priority: fc.integer({ min: 0, max: 4 }),
        stripPath: fc.boolean(),
      });
      const target = fc.tuple(pathArb, fc.constantFrom('', '/', '/x', 'x', '?q=/a/b')).map(([p, s]) => p + s);
      fc.assert(
        fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 40 }), target, (specs, path) => {
          const rules = specs.map((s, i) =>
            rule(`r${String(i).padStart(2, '0')}`, { ...s, hosts: ['api.example.com'] }),
          );
          const got = create(entries(...rules)).match('api.example.com', path);
          assert.deepEqual(got, referenceMatch(rules, 'api.example.com', path));
        }),
        { numRuns: 500 },
      );
    });
  });
}
