/**
 * The sticky whoami stack (`gateway-sticky.yml`: three tasks on host-mode ports, cookie stickiness)
 * behind `swarmgate run`, ready: every task is a ready upstream of the route.
 *
 * @example
 * const { rig, gw, service, routeId, tasks, cookieName } = await stickyStack(t, 'gwsticky');
 */
import assert from 'node:assert/strict';
import { routeState } from './gateway-process.js';
import { type GatewayStack, gatewayStack } from './gateway-stack.js';

/** The Host header the stack's route answers. */
export const STICKY_HOST = 'sticky.test';

export interface StickyStack extends GatewayStack {
  /** `<stack>_web`, the whoami service. */
  service: string;
  routeId: string;
  /** The names of the service's three tasks, as whoami reports them. */
  tasks: Set<string>;
  /** The route's sticky cookie name, as the gateway serves it. */
  cookieName: string;
}

/** Deploys the stack as `<prefix><pid>` and waits until the gateway routes to all three tasks. */
export async function stickyStack(
  t: Parameters<typeof gatewayStack>[0],
  prefix: string,
): Promise<StickyStack> {
  const deployed = await gatewayStack(t, 'gateway-sticky.yml', prefix);
  const { rig, stack, gw } = deployed;
  const service = `${stack}_web`;
  const routeId = `${service}/default`;
  await gw.waitForRoute(routeId, (s) => s.upstreams.filter((u) => u.state === 'ready').length === 3);
  const tasks = new Set((await rig.tasks(service)).map((task) => task.name));
  assert.equal(tasks.size, 3, `${service} runs three tasks`);
  const cookieName = routeState(await gw.table(), routeId)?.route.sticky?.cookie;
  assert.ok(cookieName, 'the route is sticky');
  return { ...deployed, service, routeId, tasks, cookieName };
}
