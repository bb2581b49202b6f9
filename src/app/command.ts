import type { Argv, CommandModule } from 'yargs';
import { loadConfig, type Config } from '../config/index.js';
import { GROUPS, OPTIONS, envName, shownDefault, type GroupName, type OptionKey } from '../config/options.js';
import type { Io } from './io.js';

/**
 * A user command as a file in src/commands/ declares it: its yargs command string, its help,
 * the option groups it takes (from the one option table, so names, env variables and defaults
 * are written once), and its work.
 */
export interface Command {
  /** The yargs command string: the name, then positionals (`replay <path..>`). */
  command: string;
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
  handler(config: Config, io: Io, positionals: readonly string[]): Promise<number>;
}

export const EXIT_CODES = 'Exit codes: 0 every token went where it should; 1 a message failed and will be retried; 2 bad usage or configuration; 3 a token email was refused: a person must look.';

export function commandName(c: Command): string {
  return c.command.split(' ', 1)[0] ?? c.command;
}

/** The option keys a command takes, in the order its groups list them. */
export function optionKeys(c: Command): OptionKey[] {
  return c.groups.flatMap((g) => GROUPS[g].keys);
}

/**
 * The yargs command module for a command. Options carry no yargs default: a flag that was not
 * given must stay absent, so that the environment and the config file can still set it
 * (precedence flag > env > file > default is loadConfig's, in one place).
 */
export function commandModule(c: Command, io: Io, done: (run: () => Promise<number>) => void): CommandModule {
  return {
    command: c.command,
    describe: c.describe,
    builder: (y: Argv) => {
      if (c.positional) y.positional(c.positional.name, { describe: c.positional.describe, type: 'string' });
      y.option('config', { type: 'string', describe: `JSON config file [env: SFTOKEN_CONFIG]`, group: GROUPS.common.title, requiresArg: true });
      for (const group of c.groups) {
        for (const key of GROUPS[group].keys) {
          const o = OPTIONS[key];
          const choices = o.choices ? ` (${o.choices.join(', ')})` : '';
          y.option(o.flag, {
            type: o.type === 'boolean' ? 'boolean' : 'string',
            describe: `${o.describe}${choices} [env: ${envName(o.flag)}]`,
            defaultDescription: shownDefault(o),
            group: GROUPS[group].title,
            ...(o.type === 'boolean' ? {} : { requiresArg: true }),
          });
        }
      }
      for (const [example, meaning] of c.examples) y.example(example, meaning);
      const secrets = c.secrets.map(([name, meaning]) => `  ${name}  ${meaning}`);
      y.epilogue([...(secrets.length ? ['Secrets (environment only):', ...secrets, ''] : []), c.exitCodesHelp ?? EXIT_CODES].join('\n'));
      return y;
    },
    handler: (argv) => {
      done(async () => {
        const flags: Partial<Record<OptionKey, unknown>> = {};
        for (const key of optionKeys(c)) {
          const value: unknown = argv[OPTIONS[key].flag];
          if (value === undefined) continue;
          // A repeated flag arrives as a list: kept whole for options that take several, the last wins otherwise.
          const values = Array.isArray(value) ? value : [value];
          flags[key] = OPTIONS[key].array ? values.map(String) : values[values.length - 1];
        }
        const configPath = typeof argv.config === 'string' ? argv.config : undefined;
        const positionals = c.positional ? [argv[c.positional.name]].flat().map(String) : [];
        const config = await loadConfig(flags, configPath, io.env, c.groups);
        return c.handler(config, io, positionals);
      });
    },
  };
}
