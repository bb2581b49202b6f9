import type { Config } from '../config/index.js';
import type { GroupName } from '../config/options.js';
import type { Io } from './io.js';

/** A user command as cli.ts lists it: its help, the option groups it takes, and its work. */
export interface Command {
  /** The usage yargs reads: the name, then positionals (`replay <path..>`). */
  usage: string;
  describe: string;
  groups: readonly GroupName[];
  positional?: { name: string; describe: string };
  examples: ReadonlyArray<readonly [command: string, meaning: string]>;
  /** Environment variables that carry its secrets, for --help. */
  secrets: ReadonlyArray<readonly [name: string, meaning: string]>;
  /** The exit-code footer of --help, where the command's codes are not the usual ones. */
  exitCodesHelp?: string;
  /** Exit codes for a bad command line and a configuration error, where 2 would mislead a caller. */
  exitCodes?: { usage: number; config: number; internal: number };
  /** Runs with the validated configuration and the positional values; returns the exit code. */
  run(config: Config, io: Io, positionals: readonly string[]): Promise<number>;
}
