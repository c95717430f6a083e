import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
  return { pid, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) stats.push(stat);
  }
  return stats;
}

function treeOf(root: number, stats: ProcStat[]): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const tree = stats.filter((s) => s.pid === root);
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!.pid) ?? []));
  return tree;
}

/** PIDs of `root` and all its live descendants (root first). */
export function processTree(root: number): number[] {
  return treeOf(root, allStats()).map((s) => s.pid);
}

/**
 * CPU time (user + system) used so far by the processes at `roots` and their live descendants together
 * (one read of `/proc`), in microseconds. Sampled before and after a load run, the difference is the
 * proxy's CPU cost of that run.
 */
export function treesCpuMicros(roots: number[]): number {
  const stats = allStats();
  const ticks = roots.reduce((sum, root) => sum + treeOf(root, stats).reduce((t, s) => t + s.ticks, 0), 0);
  return (ticks * 1e6) / ticksPerSecond;
}
