import { ErrorCodes, SwarmgateError } from '../errors.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { UsageError } from './usage-error.js';

/** Ends the process on an error: one clear line on stderr, and an exit code that tells failures apart. */
export function exitWithError(err: unknown): never {
  if (err instanceof UsageError) {
    process.stderr.write(
      `swarmgate ${err.command}: ${err.message}\nSee \`swarmgate ${err.command} --help\`.\n`,
    );
    process.exit(ExitCode.usage);
  }
  if (err instanceof SwarmgateError) {
    process.stderr.write(`swarmgate: ${err.message} [${err.code}: ${ErrorCodes[err.code]}]\n`);
    process.exit(exitCodeFor(err.code));
  }
  process.stderr.write(`swarmgate: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(ExitCode.failure);
}
