#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { ExitCode } from './exit-codes.js';
import { exitWithError } from './exit-with-error.js';
import { holdHangups } from './run/reload-signal.js';

// Before anything loads: a hangup while `run` starts must not kill it (see `holdHangups`).
if (process.argv[2] === 'run') holdHangups();

const USAGE = `Usage: swarmgate <command> [options]

Commands:
  run      discover the swarm and serve HTTP (discovery + data plane in one process)
  routes   print the routing table the swarm's labels give, with diagnostics

swarmgate <command> --help shows the options of a command.
`;

type Command = (argv: string[], out: NodeJS.WritableStream) => Promise<void>;

// Loaded on use, so `--help` and `--version` stay instant.
const commands: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run-command.js')).runCommand,
  routes: async () => (await import('./routes-command.js')).routesCommand,
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`swarmgate ${version()}\n`);
    return ExitCode.ok;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`swarmgate: unknown command "${name}"\n\n${USAGE}`);
    return ExitCode.usage;
  }
  await (await load())(rest, process.stdout);
  return ExitCode.ok;
}

main(process.argv.slice(2)).then((code) => {
  // `run` keeps serving after main resolves; one-shot commands end here.
  if (code !== ExitCode.ok || process.argv[2] !== 'run') process.exitCode = code;
}, exitWithError);
