import yargs from 'yargs';
import { commandModule, commandName, optionKeys, type Command } from './app/command.js';
import { processIo, type Io } from './app/io.js';
import { check } from './commands/check.js';
import { refresh } from './commands/refresh.js';
import { deliver } from './commands/deliver.js';
import { ingest } from './commands/ingest.js';
import { replay } from './commands/replay.js';
import { status } from './commands/status.js';
import { watch } from './commands/watch.js';
import { OPTIONS } from './config/options.js';
import { TransientError, UsageError, describe } from './util/errors.js';
import { closest } from './util/suggest.js';
// Inlined by the bundler: no file to find at run time, wherever the package is installed.
import pkg from '../package.json' with { type: 'json' };

/** The commands, in the order --help lists them; each declares its own options. */
const COMMANDS: readonly Command[] = [watch, ingest, replay, deliver, refresh, status, check];

const OVERVIEW = [
  'Every option also reads SFTOKEN_<OPTION> from the environment and its key from the --config file.',
  'Secrets come from the environment (SFTOKEN_SF_PASSWORD, SFTOKEN_IMAP_PASSWORD, …) or from references',
  'in the config file, never from the command line. Run sftoken <command> --help for its options.',
].join('\n');

/** yargs' own words for a bad command line, with the flag the user most likely meant. */
function usageLine(message: string, command: Command | undefined, word: string | undefined): string {
  if (message.startsWith('Did you mean')) return `unknown command "${word ?? ''}": ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
  const unknown = /^Unknown arguments?: (.+)$/.exec(message)?.[1];
  if (!unknown || !command) return message;
  const known = ['config', ...optionKeys(command).flatMap((k) => [OPTIONS[k].flag, ...(OPTIONS[k].type === 'boolean' ? [`no-${OPTIONS[k].flag}`] : [])])];
  const first = unknown.split(', ')[0] ?? unknown;
  const guess = closest(first, known);
  return `Unknown argument: ${first}${guess ? `; did you mean --${guess}?` : ''}`;
}

/**
 * Runs sftoken with these arguments and returns the exit code. A user's mistake becomes one
 * line and exit 2 (or the command's own code), a bug one line and exit 1; nothing here exits the
 * process, so that tests can run the CLI in-process.
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const command = COMMANDS.find((c) => commandName(c) === argv[0]);
  // The chosen command's work, handed over by its module once yargs has parsed: run after parsing, so that its errors are ours to report.
  const chosen: { run: (() => Promise<number>) | null } = { run: null };
  const parser = yargs([...argv])
    .scriptName('sftoken')
    .usage(`sftoken ${pkg.version}: keeps Salesforce integrations alive when their security token changes.\n\nUsage: sftoken <command> [options]`)
    // Values stay as typed: a mailbox called 2024 or a port is checked by the config, not guessed here.
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
    .command(COMMANDS.map((c) => commandModule(c, io, (work) => (chosen.run = work))))
    .completion('completion', 'print a bash or zsh completion script (sftoken completion >> ~/.bashrc)')
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .strict()
    .version(pkg.version)
    .alias('v', 'version')
    .help()
    .alias('h', 'help')
    .epilogue(OVERVIEW)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail(false)
    .exitProcess(false);
  let output = '';
  let failure: unknown = null;
  try {
    await parser.parseAsync([...argv], {}, (err: unknown, _argv: unknown, text: string) => {
      failure = err ?? null;
      output = text;
    });
  } catch (err) {
    failure = err;
  }
  if (failure !== null) {
    io.stderr(`sftoken: ${usageLine(describe(failure).split('\n')[0] ?? '', command, argv[0])} (see sftoken ${command ? `${commandName(command)} ` : ''}--help)\n`);
    return command?.exitCodes?.usage ?? 2;
  }
  if (output) io.stdout(output.endsWith('\n') ? output : `${output}\n`);
  // --help, --version and completion print and end here: no command ran.
  if (!chosen.run) return 0;
  try {
    return await chosen.run();
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`sftoken: ${err.message}\n`);
      return command?.exitCodes?.config ?? 2;
    }
    if (err instanceof TransientError) {
      io.stderr(`sftoken: ${err.message}; try again later\n`);
      return command?.exitCodes?.internal ?? 1;
    }
    const level = io.env.SFTOKEN_LOG_LEVEL;
    if (level === 'debug' || level === 'trace') io.stderr(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    io.stderr(`sftoken: internal error: ${describe(err)} (set SFTOKEN_LOG_LEVEL=debug for details)\n`);
    return command?.exitCodes?.internal ?? 1;
  }
}
