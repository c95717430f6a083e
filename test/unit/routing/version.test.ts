import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend, Route, Upstream } from '../../../src/routing/table.js';
import { translate } from '../../../src/routing/translate.js';
import { tableVersion } from '../../../src/routing/version.js';
import { INGRESS, NODES, service, snapshot, task } from './snapshot-builder.js';

const web = service('web', {
  'swarmgate.enable': 'true',
  'swarmgate.hosts': 'shop.example.com',
  'swarmgate.port': '80',
});
const tasks = [task(web, 1), task(web, 2)];

test('the version is 16 hex digits and stable for the same swarm, whatever the listing order', () => {
  const a = translate(snapshot([web], tasks), INGRESS);
  const b = translate(snapshot([web], [...tasks].reverse(), { nodes: [...NODES].reverse() }), INGRESS);
  assert.match(a.version, /^[0-9a-f]{16}$/);
  assert.equal(b.version, a.version);
});

test('a task starting to drain changes the version', () => {
  const a = translate(snapshot([web], tasks), INGRESS);
  const b = translate(snapshot([web], [tasks[0]!, { ...tasks[1]!, desiredState: 'shutdown' }]), INGRESS);
  assert.notEqual(b.version, a.version);
});

test('a route setting changes the version', () => {
  const a = translate(snapshot([web], tasks), INGRESS);
  const sticky = { ...web, labels: { ...web.labels, 'swarmgate.sticky': 'cookie' } };
  assert.notEqual(translate(snapshot([sticky], tasks), INGRESS).version, a.version);
});

test('diagnostics alone do not change the version', () => {
  const a = translate(snapshot([web], tasks), INGRESS);
  const noisy = { ...web, labels: { ...web.labels, 'swarmgate.colour': 'blue' } };
  const b = translate(snapshot([noisy], tasks), INGRESS);
  assert.equal(b.diagnostics.length, 1);
  assert.equal(b.version, a.version);
});

test('a task that is not running yet does not change the version', () => {
  const a = translate(snapshot([web], tasks), INGRESS);
  const b = translate(snapshot([web], [...tasks, task(web, 3, { state: 'starting' })]), INGRESS);
  assert.equal(b.version, a.version);
});

// Every field of each kind of object in a table, so that a field added to table.ts fails to compile here
// until the test below covers it.
const ROUTE_FIELDS: Record<keyof Route, true> = {
  id: true,
  service: true,
  name: true,
  hosts: true,
  path: true,
  stripPath: true,
  priority: true,
  backend: true,
  sticky: true,
  balance: true,
  health: true,
  tls: true,
  redirectHttps: true,
  maxBodyBytes: true,
};
const BACKEND_FIELDS: Record<keyof Backend, true> = {
  id: true,
  service: true,
  serviceId: true,
  mode: true,
  port: true,
  network: true,
  upstreams: true,
};
const UPSTREAM_FIELDS: Record<keyof Upstream, true> = {
  id: true,
  address: true,
  host: true,
  port: true,
  task: true,
  slot: true,
  node: true,
  nodeHostname: true,
  state: true,
};

/** A table that sets every optional field somewhere: a task-mode and a mesh backend, sticky with max-age, health, body limit. */
function fullTable() {
  const shop = service(
    'shop',
    {
      'swarmgate.enable': 'true',
      'swarmgate.hosts': 'shop.example.com,*.shop.example.com',
      'swarmgate.port': '80',
      'swarmgate.sticky': 'cookie',
      'swarmgate.sticky.max-age': '1h',
      'swarmgate.health.path': '/up',
      'swarmgate.max-body-size': '1m',
      'swarmgate.routes.edge.hosts': 'edge.example.com',
      'swarmgate.routes.edge.upstream': 'mesh',
    },
    { ports: [{ protocol: 'tcp', targetPort: 80, publishedPort: 8080, publishMode: 'ingress' }] },
  );
  return translate(snapshot([shop], [task(shop, 1), task(shop, 2, { desiredState: 'shutdown' })]), INGRESS);
}

type Path = (string | number)[];
type Container = Record<string | number, unknown>;

/** The value at `path` under `root`. */
function at(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as Container)[key], root);
}

/** Paths to every property and array element under `value`. */
function pathsIn(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = [...prefix, Array.isArray(value) ? Number(key) : key];
    return [path, ...pathsIn(child, path)];
  });
}

/** A deep copy of `value` with `edit` applied to the parent of `path` and its last key. */
function edited<T>(value: T, path: Path, edit: (parent: Container, key: string | number) => void): T {
  const copy = structuredClone(value);
  const parent = at(copy, path.slice(0, -1)) as Container;
  edit(parent, path[path.length - 1]!);
  return copy;
}

/** Another value of the same kind; null (no sticky, no health check) becomes an object. */
function changed(value: unknown): unknown {
  if (typeof value === 'string') return `${value}x`;
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'boolean') return !value;
  return value === null ? {} : value;
}

test('every field of the routes, backends and upstreams is part of the version', () => {
  const table = fullTable();
  const served = { routes: table.routes, backends: table.backends };
  const keys = (items: object[]) => new Set(items.flatMap((item) => Object.keys(item)));
  assert.deepEqual(keys(table.routes), new Set(Object.keys(ROUTE_FIELDS)));
  assert.deepEqual(keys(table.backends), new Set(Object.keys(BACKEND_FIELDS)));
  assert.deepEqual(keys(table.backends.flatMap((b) => b.upstreams)), new Set(Object.keys(UPSTREAM_FIELDS)));
  assert.equal(tableVersion(served.routes, served.backends), table.version);

  const paths = pathsIn(served).filter((path) => path.length > 1);
  assert.ok(paths.length > 100, `only ${paths.length} paths`);
  for (const path of paths) {
    const name = path.join('.');
    const value = at(served, path);
    const leaf = value === null || typeof value !== 'object';
    if (leaf) {
      const other = edited(served, path, (parent, key) => {
        parent[key] = changed(value);
      });
      assert.notEqual(tableVersion(other.routes, other.backends), table.version, `changed ${name}`);
    }
    // Removing a leaf is how an optional field goes absent, and list elements may go too. Nulls and
    // objects are required fields (sticky, health, hosts, upstreams): every table has them.
    const element = typeof path[path.length - 1] === 'number';
    if (!element && (!leaf || value === null)) continue;
    const fewer = edited(served, path, (parent, key) => {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
    });
    assert.notEqual(tableVersion(fewer.routes, fewer.backends), table.version, `removed ${name}`);
  }
});
