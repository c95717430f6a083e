/**
 * `npm run bench`: micro benchmarks, then the macro benchmark (wrk → proxy → origin on loopback), then the
 * scale rows (many connections, large bodies, a large table swap; `scale/`), then a markdown report on stdout and in `bench/results/<timestamp>.{md,json}`. Progress goes to stderr.
 * Not part of `npm test`. See docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateGoals } from './goals.js';
import { Supervisor } from './macro/processes.js';
import { allTargets, runMacro } from './macro/run-macro.js';
import { connectionCosts, summarize } from './macro/summary.js';
import { collectMeta } from './meta.js';
import { runMicroBenches, translateTime } from './micro.js';
import { type BenchOptions, parseOptions, runsPart, variantId } from './options.js';
import { type BenchReport, renderMarkdown, writeReport } from './report.js';
import { runScale } from './scale/run-scale.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Installs wrk and the reference proxies when missing (bench/setup.sh, Debian packages). */
function setup(): void {
  const { status } = spawnSync('bash', [join(repoRoot, 'bench', 'setup.sh')], { stdio: ['ignore', 2, 2] });
  if (status !== 0) throw new Error(`bench/setup.sh failed with status ${status}`);
}

async function bench(options: BenchOptions, supervisor: Supervisor): Promise<void> {
  if (options.setup && (runsPart(options, 'macro') || runsPart(options, 'scale'))) setup();
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg();
  const micro = runsPart(options, 'micro') ? await runMicroBenches(log) : [];
  const macro = runsPart(options, 'macro') ? await runMacro(options, supervisor, repoRoot, log) : undefined;
  const scale = runsPart(options, 'scale') ? await runScale(options, supervisor, repoRoot, log) : undefined;
  const summaries = summarize(macro?.samples ?? []);
  const costs = connectionCosts(summaries, options.variants);
  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    options: { ...options, variants: options.variants.map(variantId) },
    meta: collectMeta(repoRoot, loadAtStart),
    targets: allTargets.map(({ name, sticky, config }) => ({ name, sticky, config })),
    macro,
    summaries,
    connectionCosts: costs,
    scale,
    goals: evaluateGoals(summaries, macro?.samples ?? [], costs, translateTime(micro), scale),
    micro,
  };
  const markdown = renderMarkdown(report, options);
  process.stdout.write(markdown);
  const paths = await writeReport(report, markdown, join(repoRoot, 'bench', 'results'));
  for (const g of report.goals) log(`${g.status.padEnd(4)}  ${g.goal} — ${g.measured}`);
  log(`wrote ${paths.join(' and ')}`);
}

const supervisor = new Supervisor();
supervisor.installExitHandlers();
try {
  await bench(parseOptions(process.argv.slice(2), process.env), supervisor);
} catch (error) {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
} finally {
  await supervisor.stopAll();
}
