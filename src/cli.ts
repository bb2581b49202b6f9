import yargs, { type Argv } from 'yargs';
import type { Command } from './app/command.js';
import { processIo, type Io } from './app/io.js';
import { ingest } from './commands/ingest.js';
import { replay } from './commands/replay.js';
import { watch } from './commands/watch.js';
import { loadConfig } from './config/index.js';
import { GROUPS, OPTIONS, shownDefault, type OptionKey } from './config/options.js';
import { UsageError, describe } from './util/errors.js';
// Inlined by the bundler: no file to find at run time, wherever the package is installed.
import pkg from '../package.json' with { type: 'json' };

/** The commands, in the order --help lists them; each declares its own options. */
const COMMANDS: readonly Command[] = [replay, ingest, watch];

function commandName(c: Command): string {
  return c.usage.split(' ', 1)[0] ?? c.usage;
}

function declare(y: Argv, command: Command): Argv {
  let out = y.option('config', { type: 'string', describe: 'JSON config file (also SFTOKEN_CONFIG)', group: GROUPS.common.title });
  for (const group of command.groups) {
    for (const key of GROUPS[group].keys) {
      const o = OPTIONS[key];
      out = out.option(o.flag, { type: o.type, describe: o.describe, defaultDescription: shownDefault(o), group: GROUPS[group].title, ...(o.choices ? { choices: [...o.choices] } : {}), ...(o.array ? { array: true } : {}) });
    }
  }
  if (command.positional) out = out.positional(command.positional.name, { type: 'string', array: true, demandOption: true, describe: command.positional.describe });
  for (const [example, meaning] of command.examples) out = out.example(example, meaning);
  return out;
}

/** The flags yargs saw, by option key; undefined where the flag was not given. */
function flagsFrom(args: Record<string, unknown>): Partial<Record<OptionKey, unknown>> {
  const flags: Partial<Record<OptionKey, unknown>> = {};
  for (const [key, option] of Object.entries(OPTIONS)) flags[key as OptionKey] = args[option.flag]; // keys of OPTIONS are OptionKeys by its type
  return flags;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];
}

/**
 * Runs sftoken with these arguments and returns the exit code. A user's mistake becomes one
 * line and exit 2, a bug one line and exit 1; nothing here exits the process, so that tests
 * can run the CLI in-process.
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let failure: string | null = null;
  let output = '';
  let parser = yargs()
    .scriptName('sftoken')
    .usage('$0 <command> [options]\n\nKeeps Salesforce integrations alive when their security token changes.')
    .exitProcess(false)
    .demandCommand(1, `name a command: ${COMMANDS.map(commandName).join(', ')}`)
    .strict()
    .version(pkg.version)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      failure = (msg || err?.message || 'bad usage').replace(/\s*\n\s*/g, ' ');
    });
  for (const command of COMMANDS) parser = parser.command(command.usage, command.describe, (y) => declare(y, command));
  const args = await parser.parseAsync([...argv], {}, (_err, _argv, out) => {
    output = out;
  });
  if (failure !== null) {
    io.stderr(`sftoken: ${failure} (see sftoken --help)\n`);
    return 2;
  }
  if (output) {
    io.stdout(output.endsWith('\n') ? output : `${output}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => commandName(c) === String(args._[0]));
  if (!command) return 2;
  try {
    const configPath = typeof args.config === 'string' ? args.config : undefined;
    const config = await loadConfig(flagsFrom(args), configPath, io.env, command.groups);
    return await command.run(config, io, command.positional ? strings(args[command.positional.name]) : []);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`sftoken: ${err.message}\n`);
      return 2;
    }
    const level = io.env.SFTOKEN_LOG_LEVEL;
    if (level === 'debug' || level === 'trace') io.stderr(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    io.stderr(`sftoken: internal error: ${describe(err)} (set SFTOKEN_LOG_LEVEL=debug for details)\n`);
    return 1;
  }
}
