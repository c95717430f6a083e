/**
 * A command line that does not parse (unknown option, option without its value, stray argument):
 * exit code 2 (usage), apart from a well-formed command line with a bad value (7, configuration).
 */
export class UsageError extends Error {
  /** The command whose `--help` tells the right usage. */
  readonly command: string;
  constructor(command: string, message: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}
