import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processTree } from '../macro/cpu.js';

const pageBytes = Number(execFileSync('getconf', ['PAGESIZE']).toString().trim()) || 4096;

/**
 * Resident memory of the process at `root` and all its live descendants, summed (the gateway with its
 * workers; nginx's master with its workers), in bytes. Pages shared between them count once per process,
 * as `ps` shows them: differences between two readings of the same tree are what the bench compares.
 */
export function treeRssBytes(root: number): number {
  let pages = 0;
  for (const pid of processTree(root)) {
    try {
      pages += Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]);
    } catch {
      // exited between the listing and the read
    }
  }
  return pages * pageBytes;
}
