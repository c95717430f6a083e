import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayRoutesState } from '../../src/dataplane/http/routes-state.js';
import { RIG_IMAGES, Rig } from '../rig/index.js';
import { repoRoot } from '../support/paths.js';
import { routeState } from './support/gateway-process.js';
import { httpRequest } from './support/http-client.js';
import { whoami } from './support/http-whoami.js';
import { countBy, eventsBetween, gatewayLog } from './support/load-gateway-log.js';
import { describeLoad, startPacedLoad } from './support/load-paced.js';
import { timeline } from './support/load-timeline.js';
import { ensureSwarmgateImage } from './support/swarm-image.js';
import { taskIds, waitReplaced } from './support/swarm-rollout.js';

const HOST = 'task.test';
/** The gateway's entrypoint, published in host mode on the manager (see stacks/task-mode.yml). */
const PUBLISHED_PORT = 18480;
const REPLICAS = 3;

// swarmgate deployed the way users run it in front of overlay services: a swarm task on the manager
// with the Docker socket, on an attachable overlay network shared with a service that publishes no
// port. Without --network, the gateway must find its own task (by its container id) and so its
// networks, and reach the whoami tasks by their overlay IPs (task mode).
test('task mode: swarmgate as a swarm service reaches tasks by their overlay IPs', async (t) => {
  const rig = await Rig.up();
  const imageId = await ensureSwarmgateImage(rig);
  t.diagnostic(`${RIG_IMAGES.swarmgate} is ${imageId}`);
  const stack = `gwtask${process.pid}`;
  const file = await readFile(resolve(repoRoot, 'test/integration/stacks/task-mode.yml'), 'utf8');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the stack file's compose variable
  const compose = file.replaceAll('${SG_MANAGER_SOCKET}', rig.managerSocket);
  const gatewayService = `${stack}_gateway`;
  const webService = `${stack}_web`;
  const network = `${stack}_proxy`;
  const gatewayLogText = () => rig.docker(['service', 'logs', '--raw', gatewayService]);
  let passed = false;
  t.after(async () => {
    if (passed) return;
    // The gateway's own log, for whoever reads the failure; it goes away with the stack.
    const logs = await gatewayLogText().catch((err: Error) => err.message);
    for (const line of logs.split('\n').slice(-60)) t.diagnostic(`gateway: ${line}`);
  });
  t.after(() => rig.removeStack(stack));
  await rig.deployStack(stack, compose);
  await rig.waitConverged(stack, { timeoutMs: 120_000 });

  const [gateway] = await rig.tasks(gatewayService);
  assert.ok(gateway?.node && gateway.containerId, 'the gateway task runs in a container');
  assert.equal(gateway.node.role, 'manager', 'the gateway runs on the manager');
  const { node, containerId } = { node: gateway.node, containerId: gateway.containerId };
  /** The admin API binds to the container's loopback: ask it from inside, with busybox wget. */
  const admin = async (path: string): Promise<unknown> => {
    const url = `http://127.0.0.1:9180${path}`;
    const out = await rig.docker(['exec', containerId, 'timeout', '5', 'wget', '-qO-', url], {
      node: node.index,
      timeoutMs: 15_000,
    });
    return JSON.parse(out);
  };
  const routeId = `${webService}/default`;
  const entry = `http://${node.ip}:${PUBLISHED_PORT}`;
  /** Overlay addresses of the whoami tasks that should be running. */
  const overlayIps = async () =>
    new Set((await rig.tasks(webService)).map((task) => task.addresses[network]));
  /** Waits until the gateway serves exactly `ips` (port 80), all ready; resolves with the table. */
  const waitServed = async (ips: ReadonlySet<string | undefined>): Promise<GatewayRoutesState> => {
    const wanted = [...ips].map((ip) => `${ip}:80`).sort();
    let routes: GatewayRoutesState | null = null;
    await rig.waitFor(
      async () => {
        routes = (await admin('/api/routes')) as GatewayRoutesState | null;
        const upstreams = routeState(routes, routeId)?.upstreams ?? [];
        const served = upstreams.map((u) => u.address).sort();
        return (
          JSON.stringify(served) === JSON.stringify(wanted) &&
          upstreams.every((u) => u.state === 'ready' && u.runtime?.state === 'ready')
        );
      },
      {
        timeoutMs: 60_000,
        what: () => `route ${routeId} on ${wanted.join(', ')} (last: ${JSON.stringify(routes)})`,
      },
    );
    return routes!;
  };

  await t.test('the admin API shows task upstreams; requests reach the overlay IPs', async (st) => {
    const ips = await overlayIps();
    assert.equal(ips.size, REPLICAS, `each whoami task has an address on ${network}`);
    const routes = await waitServed(ips);
    const state = routeState(routes, routeId)!;
    st.diagnostic(
      `admin API: backend ${state.backend.id}, upstreams ${state.upstreams.map((u) => `${u.address} (${u.nodeHostname})`).join(', ')}`,
    );
    assert.equal(state.backend.mode, 'task', 'the upstreams are task IPs, not host ports');
    assert.deepEqual(routes.diagnostics, [], 'the table has no diagnostics');
    const status = (await admin('/api/status')) as { discovery: { selfContainer: string | null } };
    assert.equal(status.discovery.selfContainer, containerId, 'the gateway detected its own container id');

    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const answer = whoami(await httpRequest(entry, { host: HOST, path: `/n/${i}` }));
      const ip = answer.ips.find((a) => ips.has(a));
      assert.ok(ip, `answer ${i} comes from a task with an overlay address (${answer.ips.join(', ')})`);
      assert.equal(answer.headers['x-forwarded-for'], rig.bridgeIp, 'the gateway saw the test client');
      assert.equal(
        answer.headers['x-forwarded-port'],
        '80',
        'the port the client addressed, not the container port',
      );
      seen.set(ip, (seen.get(ip) ?? 0) + 1);
    }
    st.diagnostic(
      `30 requests to ${entry} (Host ${HOST}) by overlay IP: ${JSON.stringify(Object.fromEntries(seen))}`,
    );
    assert.equal(seen.size, REPLICAS, 'every whoami task answered');
  });

  // Task IPs come and go with the tasks: the in-swarm gateway must drain and retry like the host one.
  await t.test('a start-first rolling update under load: no failed request', async (st) => {
    const before = await taskIds(rig, webService);
    const load = startPacedLoad(entry, { host: HOST }, { rate: 50, maxDurationMs: 120_000 });
    st.after(() => load.stop());
    const marks: Array<[number, string]> = [];
    await sleep(3_000);
    marks.push([Date.now(), 'docker service update --update-order start-first --force']);
    await rig.rollingUpdate(webService, 'start-first', [
      '--update-parallelism',
      '1',
      '--update-delay',
      '2s',
      '--force',
    ]);
    await waitReplaced(rig, webService, before, REPLICAS);
    marks.push([Date.now(), 'swarm converged']);
    await waitServed(await overlayIps());
    marks.push([Date.now(), 'the gateway serves the new task IPs']);
    await sleep(3_000);
    const result = await load.stop();
    const log = gatewayLog(await gatewayLogText());
    const retries = eventsBetween(log.retries, result.startedAt, result.endedAt);
    const failed = eventsBetween(log.failed, result.startedAt, result.endedAt);
    st.diagnostic(describeLoad(result));
    st.diagnostic(
      `gateway: ${retries.length} retries (by cause ${JSON.stringify(countBy(retries, 'cause'))}), ${failed.length} failed requests logged`,
    );
    const story = timeline(result.startedAt, {
      log: { ...log, retries, failed, tables: [] },
      failures: result.failures,
      slow: result.slow,
      marks,
    });
    if (result.failures.length > 0 || result.slow.length > 0 || retries.length > 0)
      for (const line of story) st.diagnostic(line);
    assert.ok(result.total >= 500, `the load ran (${result.total} requests)`);
    assert.equal(result.otherStatus, 0, `no non-2xx response; timeline:\n${story.join('\n')}`);
    assert.equal(result.transportErrors, 0, `no transport error; timeline:\n${story.join('\n')}`);
  });
  passed = true;
});
