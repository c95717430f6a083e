import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { RoutesJson } from '../../src/cli/table-view.js';
import { Rig, type RigTask } from '../rig/index.js';
import { repoRoot } from '../support/paths.js';
import { type CliProcess, runCli, spawnCli, watchRoutes } from './support/cli-process.js';

type RouteView = RoutesJson['routes'][number];
type UpstreamView = RouteView['upstreams'][number];

const STACKS = resolve(repoRoot, 'test/integration/stacks');
const CONVERGE_MS = 120_000;

async function deploy(rig: Rig, stack: string, file: string): Promise<void> {
  await rig.deployStack(stack, await readFile(resolve(STACKS, file), 'utf8'));
  await rig.waitConverged(stack, { timeoutMs: CONVERGE_MS });
}

function dockerUrl(rig: Rig): string {
  return `unix://${rig.managerSocket}`;
}

/** `routes --json` once; fails the test on a non-zero exit. */
async function routesJson(t: TestContext, rig: Rig, ...args: string[]): Promise<RoutesJson> {
  const result = await runCli(['routes', '--json', '--docker', dockerUrl(rig), ...args]);
  assert.equal(result.code, 0, `routes --json failed: ${result.stderr}`);
  t.diagnostic(`${['routes --json', ...args].join(' ')}: ${result.durationMs} ms (process start to exit)`);
  return JSON.parse(result.stdout) as RoutesJson;
}

/** The published host port of a task's container port 80, as the engine reports it in PortStatus. */
function hostPort(task: RigTask): number {
  const port = task.ports.find((p) => p.target === 80 && p.protocol === 'tcp');
  assert.ok(port && port.published > 0, `task ${task.name} has an engine-assigned host port for 80`);
  return port.published;
}

/** What `routes --json` must list for a task reached on its node's host-mode port. */
function hostPortUpstream(task: RigTask): UpstreamView {
  assert.ok(task.node, `task ${task.name} is on a rig node`);
  return {
    address: `${task.node.ip}:${hostPort(task)}`,
    task: task.id,
    slot: task.slot ?? null,
    node: task.node.hostname,
    state: 'ready',
  };
}

const byAddress = (a: UpstreamView, b: UpstreamView) => a.address.localeCompare(b.address);
const sortedUpstreams = (upstreams: readonly UpstreamView[]) => [...upstreams].sort(byAddress);

function routeById(routes: readonly RouteView[], id: string): RouteView | undefined {
  return routes.find((r) => r.id === id);
}

test('routes: the routes, upstreams and diagnostics a labelled stack gives, through the real CLI', {
  timeout: 600_000,
}, async (t) => {
  const rig = await Rig.up();
  const stack = 'sgroutes';
  const service = (name: string) => `${stack}_${name}`;
  t.after(() => rig.removeStack(stack));
  const deployedAt = Date.now();
  await deploy(rig, stack, 'routes-labels.yml');
  t.diagnostic(`stack deployed and converged in ${Date.now() - deployedAt} ms`);

  const tasks: Record<string, RigTask[]> = {};
  for (const name of ['web', 'shop', 'docs']) tasks[name] = await rig.tasks(service(name));
  assert.deepEqual(
    Object.values(tasks).map((list) => list.length),
    [2, 3, 1],
    'replicas as in the stack file',
  );
  const mine = (table: RoutesJson) => ({
    routes: table.routes.filter((r) => r.service.startsWith(`${stack}_`)),
    diagnostics: table.diagnostics.filter((d) => d.service.startsWith(`${stack}_`)),
  });
  /** route id → the service's short name in the stack file */
  const expectedRoutes: Record<string, { name: string; hosts: string[]; path: string; stripPath: boolean }> =
    {
      [`${service('docs')}/default`]: {
        name: 'docs',
        hosts: ['docs.example.com'],
        path: '/guide',
        stripPath: false,
      },
      [`${service('shop')}/api`]: {
        name: 'shop',
        hosts: ['shop.example.com'],
        path: '/api',
        stripPath: true,
      },
      [`${service('shop')}/site`]: {
        name: 'shop',
        hosts: ['shop.example.com', 'www.shop.example.com'],
        path: '/',
        stripPath: false,
      },
      [`${service('web')}/default`]: { name: 'web', hosts: ['web.example.com'], path: '/', stripPath: false },
    };

  await t.test('--json: exactly the labelled routes, each on its tasks host-mode ports', async (t) => {
    const { routes } = mine(await routesJson(t, rig));
    assert.deepEqual(
      routes.map((r) => r.id).sort(),
      Object.keys(expectedRoutes).sort(),
      'the labelled routes only: no route for the unlabelled, broken or container-labelled services',
    );
    for (const route of routes) {
      const expected = expectedRoutes[route.id]!;
      assert.equal(route.service, service(expected.name), route.id);
      assert.deepEqual(route.hosts, expected.hosts, `${route.id} hosts (lower-cased, sorted)`);
      assert.equal(route.path, expected.path, `${route.id} path`);
      assert.equal(route.stripPath, expected.stripPath, `${route.id} strip-path`);
      assert.deepEqual(route.upstream, { mode: 'hostport', port: 80 }, `${route.id} upstream mode`);
      assert.deepEqual(
        sortedUpstreams(route.upstreams),
        sortedUpstreams(tasks[expected.name]!.map(hostPortUpstream)),
        `${route.id}: one upstream per running task, at <node ip>:<engine-assigned port>`,
      );
    }
    const docs = routeById(routes, `${service('docs')}/default`);
    assert.match(docs?.sticky?.cookie ?? '', /^sg_[0-9a-f]{8}$/, 'sticky: cookie gets a derived name');
    assert.equal(routeById(routes, `${service('web')}/default`)?.sticky, null);
  });

  await t.test('every hostport upstream answers as the task it names', async (t) => {
    const { routes } = mine(await routesJson(t, rig));
    const upstreams = new Map(routes.flatMap((r) => r.upstreams.map((u) => [u.address, u] as const)));
    assert.equal(upstreams.size, 6, '2 web + 3 shop + 1 docs tasks');
    for (const [address, upstream] of upstreams) {
      const res = await fetch(`http://${address}/who`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(res.status, 200, address);
      const body = (await res.json()) as { name: string; task: { node: string | null } };
      assert.ok(
        body.name.endsWith(`.${upstream.slot}.${upstream.task}`),
        `${address} is task ${upstream.task}`,
      );
      assert.equal(body.task.node, upstream.node, `${address} runs on ${upstream.node}`);
    }
  });

  await t.test('--json: diagnostics for the bad labels and the container labels only', async (t) => {
    const { diagnostics } = mine(await routesJson(t, rig));
    const broken = diagnostics.filter((d) => d.service === service('broken'));
    const summary = (d: RoutesJson['diagnostics'][number]) => `${d.code} ${d.label}=${d.value}`;
    assert.deepEqual(broken.map(summary).sort(), [
      'SG_ERR_LABEL_INVALID swarmgate.hosts=bad_host.example.com',
      'SG_ERR_LABEL_INVALID swarmgate.port=http',
    ]);
    const rules: Record<string, RegExp> = {
      'swarmgate.hosts': /host names made of letters, digits, hyphens and dots/,
      'swarmgate.port': /a port number from 1 to 65535/,
    };
    for (const d of broken) {
      assert.ok(d.message.includes(d.label), `the message names the label: ${d.message}`);
      assert.match(d.message, rules[d.label]!, 'the message names the rule');
      assert.ok(d.message.includes(`${service('broken')}/default`), 'the message names the dropped route');
    }
    const misplaced = diagnostics.filter((d) => d.service === service('misplaced'));
    assert.equal(misplaced.length, 1, JSON.stringify(misplaced));
    assert.equal(misplaced[0]?.code, 'SG_ERR_LABEL_ON_CONTAINER');
    assert.equal(misplaced[0]?.value, 'swarmgate.enable, swarmgate.hosts');
    assert.match(misplaced[0]?.message ?? '', /deploy\.labels/);
    assert.deepEqual(
      [...new Set(diagnostics.map((d) => d.service))].sort(),
      [service('broken'), service('misplaced')],
      'no diagnostics for the well-labelled and the unlabelled services',
    );
  });

  await t.test('--network <overlay>: task-mode upstreams at the task IPs on that network', async (t) => {
    const network = `${stack}_edge`;
    const { routes } = mine(await routesJson(t, rig, '--network', network));
    assert.deepEqual(routes.map((r) => r.id).sort(), Object.keys(expectedRoutes).sort());
    for (const route of routes) {
      const expected = expectedRoutes[route.id]!;
      assert.deepEqual(route.upstream, { mode: 'task', port: 80 }, `${route.id} upstream mode`);
      const want = tasks[expected.name]!.map((task) => {
        const ip = task.addresses[network];
        assert.ok(ip, `task ${task.name} has an address on ${network}`);
        return { ...hostPortUpstream(task), address: `${ip}:80` };
      });
      assert.deepEqual(sortedUpstreams(route.upstreams), sortedUpstreams(want), route.id);
    }
  });

  await t.test('human output lists the routes, their upstreams and the diagnostics', async (t) => {
    const result = await runCli(['routes', '--docker', dockerUrl(rig)]);
    assert.equal(result.code, 0, result.stderr);
    t.diagnostic(`routes (human): ${result.durationMs} ms`);
    const out = result.stdout;
    assert.match(out, /^routing table [0-9a-f]+: \d+ route\(s\)$/m);
    assert.ok(out.includes(`web.example.com/ -> ${service('web')}/default [hostport:80]`), out);
    assert.ok(out.includes(`shop.example.com/api -> ${service('shop')}/api [hostport:80]`), out);
    for (const task of Object.values(tasks).flat()) {
      assert.ok(out.includes(hostPortUpstream(task).address), `lists upstream of task ${task.name}`);
    }
    assert.ok(out.includes(`SG_ERR_LABEL_INVALID ${service('broken')} swarmgate.port="http"`), out);
    assert.ok(out.includes(`SG_ERR_LABEL_ON_CONTAINER ${service('misplaced')}`), out);
    assert.ok(!out.includes(service('plain')), 'the unlabelled service does not appear');
  });
});

test('routes --watch --json: a stopped node’s upstreams leave the table once swarm marks it down', {
  timeout: 600_000,
}, async (t) => {
  const rig = await Rig.up();
  const stack = 'sgnodedown';
  const service = `${stack}_everywhere`;
  const routeId = `${service}/default`;
  const stopped = 3;
  let nodeStopped = false;
  let watch: ReturnType<typeof watchRoutes> | undefined;
  // One hook, so the order is certain: the node is back and Ready before the stack is removed from it.
  t.after(async () => {
    await watch?.stop();
    if (nodeStopped) {
      await rig.startNode(stopped);
      await rig.waitFor(async () => (await rig.nodeStatus(stopped)) === 'ready', {
        timeoutMs: 120_000,
        what: `node ${stopped} to be Ready again`,
      });
    }
    await rig.removeStack(stack);
  });
  await deploy(rig, stack, 'routes-global.yml');
  const tasks = await rig.tasks(service);
  assert.deepEqual(tasks.map((task) => task.node?.index).sort(), [1, 2, 3], 'one task per node');
  const all = sortedUpstreams(tasks.map(hostPortUpstream));
  const survivors = sortedUpstreams(
    tasks.filter((task) => task.node?.index !== stopped).map(hostPortUpstream),
  );
  const hostname = rig.node(stopped).hostname;

  watch = watchRoutes(['--docker', dockerUrl(rig)]);
  const upstreamsOf = (table: RoutesJson) =>
    sortedUpstreams(routeById(table.routes, routeId)?.upstreams ?? []);
  for await (const { table } of watch) {
    assert.deepEqual(
      upstreamsOf(table),
      all,
      'the first table: one upstream per node, at <node ip>:<host port>',
    );
    break;
  }

  const stopAt = Date.now();
  nodeStopped = true;
  await rig.stopNode(stopped);
  const downAt = await rig.waitFor(
    async () => {
      const out = await rig.docker([
        'node',
        'inspect',
        '--format',
        '{{.Status.State}} {{.UpdatedAt.UnixNano}}',
        hostname,
      ]);
      const [state, nanos] = out.trim().split(' ');
      // UpdatedAt is when swarm recorded the node's last change: here, the move to down.
      return state === 'down' && Number(BigInt(nanos ?? '0') / 1_000_000n);
    },
    { timeoutMs: 60_000, what: `node ${stopped} to be down` },
  );
  const gone = await watch.until((table) => !upstreamsOf(table).some((u) => u.node === hostname), {
    timeoutMs: 60_000,
    what: `${routeId} without upstreams on ${hostname}`,
  });
  assert.deepEqual(upstreamsOf(gone.table), survivors, 'the other nodes’ upstreams stay, unchanged');
  t.diagnostic(`node ${stopped} marked down ${downAt - stopAt} ms after the stop began`);
  t.diagnostic(`its upstream left the table ${gone.receivedAt - downAt} ms after swarm marked it down`);
});

test('routes --watch: a scaled service prints a diff with the delay since the change', {
  timeout: 600_000,
}, async (t) => {
  const rig = await Rig.up();
  const stack = 'sgscale';
  const service = `${stack}_scaled`;
  const routeId = `${service}/default`;
  let cli: CliProcess | undefined;
  t.after(async () => {
    await cli?.stop();
    await rig.removeStack(stack);
  });
  await deploy(rig, stack, 'routes-scale.yml');
  const before = await rig.tasks(service);
  assert.equal(before.length, 1);
  cli = spawnCli(['routes', '--watch', '--docker', dockerUrl(rig)]);
  // The watch prints its first table once it is watching; a change after that is printed as a diff.
  assert.match((await cli.nextLine(30_000)).line, /^routing table /);

  const scaledAt = Date.now();
  await rig.docker(['service', 'scale', '--detach', `${service}=2`]);
  const header = /^table \S+ -> \S+ \((event|relist), (-?\d+(?:\.\d+)?) ms after the change\)$/;
  const added = new RegExp(`^\\+ ${routeId.replace(/[.]/g, '\\.')}  (\\S+) ready node (\\S+) slot (\\d+)$`);
  let lastHeader: RegExpMatchArray | undefined;
  let plus: { match: RegExpMatchArray; receivedAt: number } | undefined;
  while (plus === undefined) {
    const { line, receivedAt } = await cli.nextLine(Math.max(1, scaledAt + 60_000 - Date.now()));
    lastHeader = line.match(header) ?? lastHeader;
    const match = line.match(added);
    if (match) plus = { match, receivedAt };
  }
  assert.ok(lastHeader, 'the diff comes after a "table A -> B (cause, N ms after the change)" line');

  await rig.waitConverged(service, { timeoutMs: CONVERGE_MS });
  const after = await rig.tasks(service);
  const fresh = after.filter((task) => !before.some((b) => b.id === task.id));
  assert.equal(fresh.length, 1, 'one new task');
  const expected = hostPortUpstream(fresh[0]!);
  assert.equal(plus.match[1], expected.address, 'the + line names the new task’s <node ip>:<host port>');
  assert.equal(plus.match[2], expected.node);
  assert.equal(Number(plus.match[3]), expected.slot);
  t.diagnostic(`diff printed ${plus.receivedAt - scaledAt} ms after the scale command was sent`);
  t.diagnostic(`swarmgate reported: ${lastHeader[1]}, ${lastHeader[2]} ms after the change`);

  const ended = await cli.stop();
  assert.equal(ended.code, 0, `routes --watch ends cleanly on SIGTERM; stderr: ${ended.stderr}`);
});
