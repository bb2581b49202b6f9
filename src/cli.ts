import { parseCommandArgs } from './app/args.js';
import type { Command } from './app/command.js';
import { commandHelp, overviewHelp } from './app/help.js';
import { processIo, type Io } from './app/io.js';
import { check } from './commands/check.js';
import { deliver } from './commands/deliver.js';
import { ingest } from './commands/ingest.js';
import { replay } from './commands/replay.js';
import { status } from './commands/status.js';
import { watch } from './commands/watch.js';
import { loadConfig } from './config/index.js';
import { TransientError, UsageError, describe } from './util/errors.js';
// Inlined by the bundler: no file to find at run time, wherever the package is installed.
import pkg from '../package.json' with { type: 'json' };

/** The commands, in the order --help lists them; each declares its own options. */
const COMMANDS: readonly Command[] = [watch, ingest, replay, deliver, status, check];

function commandName(c: Command): string {
  return c.usage.split(' ', 1)[0] ?? c.usage;
}

/**
 * Runs sftoken with these arguments and returns the exit code. A user's mistake becomes one
 * line and exit 2 (or the command's own code), a bug one line and exit 1; nothing here exits the
 * process, so that tests can run the CLI in-process.
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(overviewHelp(COMMANDS, pkg.version));
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout(`${pkg.version}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => commandName(c) === name);
  if (!command) {
    io.stderr(`sftoken: unknown command "${name}": use ${COMMANDS.map(commandName).join(', ')} (see sftoken --help)\n`);
    return 2;
  }
  let args;
  try {
    args = parseCommandArgs(command, rest);
  } catch (err) {
    io.stderr(`sftoken: ${describe(err)} (see sftoken ${name} --help)\n`);
    return command.exitCodes?.usage ?? 2;
  }
  if (args.help) {
    io.stdout(commandHelp(command));
    return 0;
  }
  try {
    const config = await loadConfig(args.flags, args.config, io.env, command.groups);
    return await command.run(config, io, args.positionals);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`sftoken: ${err.message}\n`);
      return command.exitCodes?.config ?? 2;
    }
    if (err instanceof TransientError) {
      io.stderr(`sftoken: ${err.message}; try again later\n`);
      return command.exitCodes?.internal ?? 1;
    }
    const level = io.env.SFTOKEN_LOG_LEVEL;
    if (level === 'debug' || level === 'trace') io.stderr(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    io.stderr(`sftoken: internal error: ${describe(err)} (set SFTOKEN_LOG_LEVEL=debug for details)\n`);
    return command.exitCodes?.internal ?? 1;
  }
}
