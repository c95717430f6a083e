import assert from 'node:assert/strict';
import { test } from 'node:test';
import { translate } from '../../../src/routing/translate.js';
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
