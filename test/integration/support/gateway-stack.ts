/**
 * Deploys a stack file from `test/integration/stacks/` on the rig for one test, and the gateway that
 * routes it: both are removed when the test ends.
 *
 * @example
 * const { rig, stack, gw } = await gatewayStack(t, 'gateway-routing.yml', 'gwroute');
 * await gw.waitForRoute(`${stack}_a/default`);
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Rig } from '../../rig/index.js';
import { repoRoot } from '../../support/paths.js';
import { type GatewayProcess, startGateway } from './gateway-process.js';

interface TestContext {
  after: (fn: () => Promise<void> | void) => void;
  diagnostic: (message: string) => void;
}

/** A deployed stack and the `swarmgate run` serving it. */
export interface GatewayStack {
  rig: Rig;
  /** The stack's name; its services are `<stack>_<service>`, its routes `<stack>_<service>/<route>`. */
  stack: string;
  gw: GatewayProcess;
}

/**
 * Brings the rig up (or loads it), deploys `file` as stack `<prefix><pid>`, waits until it converged
 * and starts `swarmgate run --docker <manager> ...gatewayArgs` on the host. When the test ends, the
 * gateway stops (its output goes to the test's diagnostics if it did not exit 0) and the stack is
 * removed.
 */
export async function gatewayStack(
  t: TestContext,
  file: string,
  prefix: string,
  gatewayArgs: string[] = [],
): Promise<GatewayStack> {
  const rig = await Rig.up();
  const stack = `${prefix}${process.pid}`;
  const compose = await readFile(resolve(repoRoot, 'test/integration/stacks', file), 'utf8');
  t.after(() => rig.removeStack(stack));
  await rig.deployStack(stack, compose);
  await rig.waitConverged(stack, { timeoutMs: 120_000 });
  const gw = await startGateway({ docker: `unix://${rig.managerSocket}`, args: gatewayArgs });
  t.after(async () => {
    const code = await gw.stop();
    if (code !== 0) t.diagnostic(`swarmgate run exited with ${code}; its output:\n${gw.logs()}`);
  });
  return { rig, stack, gw };
}
