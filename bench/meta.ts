import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, release } from 'node:os';

/** Where and with what a benchmark ran. */
export interface BenchMeta {
  node: string;
  cpus: string;
  kernel: string;
  commit: string;
  tools: Record<string, string>;
  /** 1, 5 and 15 minute load averages when the bench started and ended: other work on the machine. */
  load: { start: number[]; end: number[] };
}

function version(command: string, args: string[], pattern: RegExp): string {
  // Some tools print their version on stderr, and wrk exits 1 after printing it: read both, ignore status.
  const { stdout, stderr, error } = spawnSync(command, args, { encoding: 'utf8' });
  if (error) return 'not installed';
  return pattern.exec(`${stdout}${stderr}`)?.[1] ?? 'unknown';
}

/** Collects versions and machine facts for the report header (call at the end of the run). */
export function collectMeta(repoRoot: string, loadAtStart: number[]): BenchMeta {
  return {
    node: process.version,
    cpus: `${availableParallelism()} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
    kernel: release(),
    commit: version('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], /^(\w+)/),
    tools: {
      wrk: version('wrk', ['-v'], /wrk (\S+)/),
      nginx: version('nginx', ['-v'], /nginx\/(\S+)/),
      haproxy: version('haproxy', ['-v'], /version (\S+)/),
      caddy: version('caddy', ['version'], /^v?(\S+)/),
    },
    load: { start: loadAtStart, end: loadavg() },
  };
}
