import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One micro benchmark's outcome; `result` is whatever its function returned. */
export interface MicroResult {
  name: string;
  status: 'ok' | 'missing' | 'failed';
  result?: unknown;
  error?: string;
}

/** A micro benchmark module of this folder and the function it exports. */
interface MicroBench {
  module: string;
  exportName: string;
}

// Loaded by path at run time so the bench builds and runs while a micro benchmark is still being written.
const microBenches: MicroBench[] = [
  { module: './translate.bench.js', exportName: 'benchTranslate' },
  { module: './router.bench.js', exportName: 'benchRouter' },
];

/** Runs each micro benchmark that exists, one after another. */
export async function runMicroBenches(log: (line: string) => void): Promise<MicroResult[]> {
  const results: MicroResult[] = [];
  for (const { module, exportName } of microBenches) {
    const url = new URL(module, import.meta.url);
    if (!existsSync(fileURLToPath(url))) {
      results.push({ name: exportName, status: 'missing', error: `${module} is not built` });
      continue;
    }
    try {
      const bench = (await import(url.href)) as Record<string, unknown>;
      const run = bench[exportName];
      if (typeof run !== 'function') throw new Error(`${module} does not export ${exportName}()`);
      log(`micro: ${exportName}()…`);
      results.push({ name: exportName, status: 'ok', result: await run() });
    } catch (error) {
      results.push({ name: exportName, status: 'failed', error: (error as Error).stack ?? String(error) });
    }
  }
  return results;
}

/** The translate micro benchmark's median wall and CPU time in ms (`benchTranslate()` returns `{ ms, cpuMs }`). */
export interface TranslateTime {
  ms: number;
  cpuMs: number | undefined;
}

/** Reads the translate time from the micro results, when `benchTranslate()` ran. */
export function translateTime(micro: MicroResult[]): TranslateTime | undefined {
  const result = micro.find((m) => m.name === 'benchTranslate')?.result as
    | Record<string, unknown>
    | undefined;
  if (typeof result?.ms !== 'number') return undefined;
  return { ms: result.ms, cpuMs: typeof result.cpuMs === 'number' ? result.cpuMs : undefined };
}
