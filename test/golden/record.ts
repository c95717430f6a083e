/**
 * Records the routing golden cases from the swarm rig: for each stack in `test/golden/stacks/<case>.yml`
 * it deploys the stack as `golden-<case>` on the rig (SG_RIG_ID, default 0), waits until it converges
 * (and, for cases with `"update"`, until a rolling update leaves a task draining), dumps the raw Engine
 * API lists and writes `test/fixtures/golden/<case>/engine.json` and `context.json`. The stack is always
 * removed afterwards. Then `UPDATE_GOLDEN=1 node --test dist/test/unit/routing/golden.test.js` writes the
 * expected tables, to be reviewed before committing.
 *
 * Each stack file carries its gateway context on one line, as a YAML flow mapping (which is JSON):
 *   x-golden: {"context": {"role": "ingress", "networks": ["proxy"]}, "update": "web"}
 * Network names are the stack's own; they are prefixed with the stack name (`golden-<case>_proxy`).
 *
 * usage: node dist/test/golden/record.js [case ...]          record these cases (default: all)
 *        node dist/test/golden/record.js import DIR CASE CONTEXT_JSON
 *                                    package an earlier recording (DIR/{services,tasks,nodes,networks}.json)
 */

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { basename, resolve } from 'node:path';
import { z } from 'zod';
import type { TranslateContext } from '../../src/routing/table.js';
import { Rig, waitFor } from '../rig/index.js';
import { fixturePath, repoRoot } from '../support/paths.js';

const STACKS_DIR = resolve(repoRoot, 'test/golden/stacks');
const ENGINE_API = '/v1.41';
const STACK_LABEL = 'com.docker.stack.namespace';

const caseSpec = z.object({
  context: z.object({ role: z.enum(['run', 'border', 'ingress']), networks: z.array(z.string()) }),
  /** A service of the stack to update; recorded while its old task drains. */
  update: z.string().optional(),
});
type CaseSpec = z.infer<typeof caseSpec>;

interface EngineLists {
  services: unknown[];
  tasks: unknown[];
  nodes: unknown[];
  networks: unknown[];
}

/** The fields the recorder filters on; everything else is written as the engine sent it. */
interface EngineItem {
  ID?: string;
  ServiceID?: string;
  DesiredState?: string;
  Status?: { State?: string };
  Spec?: { Labels?: Record<string, string> };
  Labels?: Record<string, string>;
  Ingress?: boolean;
}

function readCaseSpec(yaml: string, file: string): CaseSpec {
  const line = /^x-golden:\s*(\{.*\})\s*$/m.exec(yaml)?.[1];
  if (line === undefined) throw new Error(`${file}: no one-line x-golden: {...} header`);
  return caseSpec.parse(JSON.parse(line));
}

/** GET on the Engine API through a unix socket; resolves with the parsed JSON body. */
function engineGet(socketPath: string, path: string): Promise<unknown> {
  return new Promise((resolveBody, reject) => {
    const req = request({ socketPath, path: `${ENGINE_API}${path}`, headers: { host: 'docker' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        if (res.statusCode === 200) resolveBody(JSON.parse(body));
        else reject(new Error(`GET ${path}: ${res.statusCode} ${body}`));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function engineList(socket: string, path: string): Promise<EngineItem[]> {
  return (await engineGet(socket, path)) as EngineItem[];
}

/** The four lists, restricted to the stack (other users of the rig may have stacks of their own) plus ingress and all nodes. */
async function dumpStack(socket: string, stack: string): Promise<EngineLists> {
  const [services, tasks, nodes, networks] = await Promise.all([
    engineList(socket, '/services?status=true'),
    engineList(socket, '/tasks'),
    engineList(socket, '/nodes'),
    engineList(socket, '/networks'),
  ]);
  const ours = services.filter((s) => s.Spec?.Labels?.[STACK_LABEL] === stack);
  const ids = new Set(ours.map((s) => s.ID));
  return {
    services: ours,
    tasks: tasks.filter((t) => ids.has(t.ServiceID)),
    nodes,
    networks: networks.filter((n) => n.Ingress === true || n.Labels?.[STACK_LABEL] === stack),
  };
}

/** Starts a rolling update of `service` and waits until an old task still runs with desired state shutdown. */
async function startDraining(rig: Rig, service: string): Promise<void> {
  await rig.docker(['service', 'update', '--detach', '--env-add', 'GOLDEN_UPDATE=1', service]);
  const filter = encodeURIComponent(JSON.stringify({ service: [service] }));
  await waitFor(
    async () => {
      const tasks = await engineList(rig.managerSocket, `/tasks?filters=${filter}`);
      const running = (t: EngineItem) => t.Status?.State === 'running';
      return tasks.some((t) => t.DesiredState === 'shutdown' && running(t));
    },
    { timeoutMs: 120_000, what: `a draining task of ${service}` },
  );
}

async function writeCase(name: string, engine: EngineLists, context: TranslateContext): Promise<void> {
  const dir = fixturePath('golden', name);
  await mkdir(dir, { recursive: true });
  await writeFile(resolve(dir, 'engine.json'), `${JSON.stringify(engine, null, 2)}\n`);
  await writeFile(resolve(dir, 'context.json'), `${JSON.stringify(context, null, 2)}\n`);
  console.log(`wrote ${dir}/engine.json and context.json`);
}

async function recordCase(rig: Rig, name: string): Promise<void> {
  const file = resolve(STACKS_DIR, `${name}.yml`);
  const yaml = await readFile(file, 'utf8');
  const spec = readCaseSpec(yaml, file);
  const stack = `golden-${name}`;
  await rig.removeStack(stack);
  try {
    await rig.deployStack(stack, yaml);
    await rig.waitConverged(stack, { timeoutMs: 180_000 });
    if (spec.update !== undefined) await startDraining(rig, `${stack}_${spec.update}`);
    const engine = await dumpStack(rig.managerSocket, stack);
    const networks = spec.context.networks.map((n) => `${stack}_${n}`);
    await writeCase(name, engine, { role: spec.context.role, networks });
  } finally {
    await rig.removeStack(stack, { timeoutMs: 120_000 });
  }
}

/** Packages an earlier recording (one JSON file per list) as a golden case. */
async function importCase(dir: string, name: string, contextJson: string): Promise<void> {
  const read = async (what: string) =>
    JSON.parse(await readFile(resolve(dir, `${what}.json`), 'utf8')) as unknown[];
  const engine = {
    services: await read('services'),
    tasks: await read('tasks'),
    nodes: await read('nodes'),
    networks: await read('networks'),
  };
  await writeCase(name, engine, caseSpec.shape.context.parse(JSON.parse(contextJson)));
}

async function main(args: string[]): Promise<void> {
  if (args[0] === 'import') {
    const [, dir, name, context] = args;
    if (!dir || !name || !context) throw new Error('usage: record.js import DIR CASE CONTEXT_JSON');
    return importCase(dir, name, context);
  }
  const all = (await readdir(STACKS_DIR)).filter((f) => f.endsWith('.yml')).map((f) => basename(f, '.yml'));
  const cases = args.length > 0 ? args : all.sort();
  const rig = await Rig.load();
  for (const name of cases) await recordCase(rig, name);
  console.log(
    'now run: UPDATE_GOLDEN=1 node --test dist/test/unit/routing/golden.test.js, and review the diff',
  );
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
