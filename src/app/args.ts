import { parseArgs } from 'node:util';
import { GROUPS, OPTIONS, type OptionKey } from '../config/options.js';
import { UsageError } from '../util/errors.js';
import type { Command } from './command.js';

// `--imap-tls false`: a boolean may take one of these words as its value, as yargs allowed.
const BOOLEAN_WORDS = /^(?:true|false|yes|no|on|off|1|0)$/i;

/** A command line read against one command's options. */
interface ParsedArgs {
  flags: Partial<Record<OptionKey, unknown>>;
  config: string | undefined;
  positionals: string[];
  help: boolean;
}

/**
 * Reads the arguments after the command name with node:util's parseArgs (strict: an unknown
 * option is an error). Booleans also take `--no-<flag>`, `--<flag>=false` and `--<flag> false`,
 * which parseArgs on Node 20 does not, so those are read here first.
 */
export function parseCommandArgs(command: Command, argv: readonly string[]): ParsedArgs {
  const keys = command.groups.flatMap((g) => GROUPS[g].keys);
  const byFlag = new Map(keys.map((key) => [OPTIONS[key].flag, key]));
  const flags: Partial<Record<OptionKey, unknown>> = {};
  const rest: string[] = [];
  const isBoolean = (key: OptionKey | undefined): key is OptionKey => key !== undefined && OPTIONS[key].type === 'boolean';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const negated = byFlag.get(/^--no-(.+)$/.exec(arg)?.[1] ?? '');
    const withValue = /^--([^=]+)=(.*)$/.exec(arg);
    const assigned = byFlag.get(withValue?.[1] ?? '');
    const bare = byFlag.get(/^--([^=]+)$/.exec(arg)?.[1] ?? '');
    if (isBoolean(negated)) flags[negated] = false;
    else if (isBoolean(assigned)) flags[assigned] = withValue?.[2];
    else if (isBoolean(bare) && BOOLEAN_WORDS.test(argv[i + 1] ?? '')) flags[bare] = argv[++i];
    else rest.push(arg);
  }
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } };
  for (const key of keys) options[OPTIONS[key].flag] = { type: OPTIONS[key].type === 'boolean' ? 'boolean' : 'string', ...(OPTIONS[key].array ? { multiple: true } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options, strict: true, allowPositionals: command.positional !== undefined });
  } catch (err) {
    throw new UsageError(usageMessage(err instanceof Error ? err.message : String(err)));
  }
  for (const key of keys) {
    const value: unknown = parsed.values[OPTIONS[key].flag];
    if (value !== undefined) flags[key] = value;
  }
  const help = parsed.values.help === true;
  if (command.positional && parsed.positionals.length === 0 && !help) throw new UsageError(`${command.usage.split(' ')[0]} needs at least one ${command.positional.name}`);
  return { flags, config: typeof parsed.values.config === 'string' ? parsed.values.config : undefined, positionals: parsed.positionals, help };
}

/** parseArgs's messages, in one short line that names the argument. */
function usageMessage(message: string): string {
  const unknown = /Unknown option '([^']+)'/.exec(message)?.[1];
  if (unknown) return `Unknown argument: ${unknown.replace(/^-+/, '')}`;
  const positional = /Unexpected argument '([^']+)'/.exec(message)?.[1];
  if (positional) return `Unexpected argument: ${positional}`;
  return message.split('.')[0] ?? message;
}
