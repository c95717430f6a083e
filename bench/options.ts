import { parseArgs } from 'node:util';
import { type CoreLayout, oneCore, twoCores } from './macro/layout.js';

/** One load shape: a core layout, a connection count, and keep-alive or `Connection: close`. */
export interface Variant {
  layout: CoreLayout;
  connections: number;
  close: boolean;
}

/** Stable id of a variant, used as a key in the JSON results: `1core-64-keepalive`. */
export function variantId(v: Variant): string {
  return `${v.layout.id}-${v.connections}-${v.close ? 'close' : 'keepalive'}`;
}

/** A heading for a variant: `1 core (…) · 64 connections · keep-alive`. */
export function variantLabel(v: Variant): string {
  return `${v.layout.label} · ${v.connections} connections · ${v.close ? 'Connection: close' : 'keep-alive'}`;
}

/** The parts of `npm run bench`. */
export const benchParts = ['micro', 'macro', 'scale'] as const;
export type BenchPart = (typeof benchParts)[number];

/** What `npm run bench` runs. */
export interface BenchOptions {
  quick: boolean;
  /** Measured seconds per wrk run. */
  durationS: number;
  /** Unmeasured wrk seconds before each measured run. */
  warmupS: number;
  /** Repetitions per (variant, target); the report shows their median. */
  reps: number;
  /** Target names to run (`direct,node-http,nginx,haproxy,caddy,swarmgate`); all when undefined. */
  targets: string[] | undefined;
  variants: Variant[];
  /** Run `bench/setup.sh` (installs wrk and the proxies when missing). */
  setup: boolean;
  /** Run only one part: the micro benchmarks, the macro benchmark or the scale rows; all when undefined. */
  only: BenchPart | undefined;
  /** Leave out the scale rows (10,000 connections, 1 GiB bodies, a 10,000-route swap; ~5 minutes). */
  skipScale: boolean;
}

const keepAlive = (layout: CoreLayout, connections: number): Variant => ({
  layout,
  connections,
  close: false,
});
const close = (layout: CoreLayout, connections: number): Variant => ({ layout, connections, close: true });

const fullVariants = [oneCore, twoCores].flatMap((layout) => [
  keepAlive(layout, 64),
  keepAlive(layout, 256),
  close(layout, 64),
  close(layout, 256),
]);
const quickVariants = [keepAlive(oneCore, 64), close(oneCore, 64), keepAlive(twoCores, 64)];

const usage = `usage: npm run bench -- [--quick] [--reps N] [--duration S] [--targets a,b] [--skip-setup] [--only micro|macro|scale] [--skip-scale]
env: BENCH_QUICK=1, BENCH_REPS, BENCH_DURATION, BENCH_TARGETS, BENCH_ONLY, BENCH_SKIP_SCALE=1 (same meaning)`;

/** Whether this run includes `part`: all parts unless `--only` names another one or `--skip-scale`. */
export function runsPart(options: BenchOptions, part: BenchPart): boolean {
  if (part === 'scale' && options.skipScale) return false;
  return options.only === undefined || options.only === part;
}

/**
 * Reads flags, falling back to `BENCH_*` environment variables.
 *
 * @example
 * parseOptions(['--quick'], {}).durationS // 2
 */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      reps: { type: 'string' },
      duration: { type: 'string' },
      targets: { type: 'string' },
      'skip-setup': { type: 'boolean' },
      only: { type: 'string' },
      'skip-scale': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const quick = values.quick ?? env.BENCH_QUICK === '1';
  const targets = values.targets ?? env.BENCH_TARGETS;
  const only = values.only ?? env.BENCH_ONLY;
  if (only !== undefined && only !== '' && !benchParts.includes(only as BenchPart))
    throw new Error(`--only must be micro, macro or scale\n${usage}`);
  return {
    quick,
    durationS: positive(values.duration ?? env.BENCH_DURATION, quick ? 2 : 5, 'duration'),
    warmupS: 1,
    reps: positive(values.reps ?? env.BENCH_REPS, quick ? 2 : 3, 'reps'),
    targets: targets ? targets.split(',').map((t) => t.trim()) : undefined,
    variants: quick ? quickVariants : fullVariants,
    setup: !values['skip-setup'],
    only: (only || undefined) as BenchPart | undefined,
    skipScale: values['skip-scale'] ?? env.BENCH_SKIP_SCALE === '1',
  };
}

function positive(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a positive integer, got ${text}\n${usage}`);
  return n;
}
