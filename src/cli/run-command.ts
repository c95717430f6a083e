import { pino } from 'pino';
import { attachEventLog } from '../observability/event-log.js';
import { runCluster } from './run/cluster.js';
import { runSingleProcess } from './run/single-process.js';
import { parseRunOptions, RUN_USAGE } from './run-options.js';

/** `swarmgate run`: the gateway, in one process or as a cluster of workers. */
export async function runCommand(argv: string[], out: NodeJS.WritableStream): Promise<void> {
  const options = parseRunOptions(argv);
  if (options.help) {
    out.write(RUN_USAGE);
    return;
  }
  const logger = pino({ level: options.logLevel, base: { pid: process.pid } });
  attachEventLog(logger, { accessLog: options.accessLog });
  if (options.workers > 1) await runCluster(options, logger);
  else await runSingleProcess(options, logger);
}
