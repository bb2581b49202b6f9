import { GROUPS, OPTIONS, envName, shownDefault } from '../config/options.js';
import type { Command } from './command.js';

const WIDTH = 100;
const FLAG_COLUMN = 30;

function wrap(text: string, indent: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > WIDTH - indent) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function row(left: string, right: string): string {
  const [first = '', ...more] = wrap(right, FLAG_COLUMN);
  const pad = ' '.repeat(FLAG_COLUMN);
  const head = left.length < FLAG_COLUMN - 1 ? `${left.padEnd(FLAG_COLUMN)}${first}` : `${left}\n${pad}${first}`;
  return [head, ...more.map((l) => `${pad}${l}`)].join('\n');
}

const EXIT_CODES = 'Exit codes: 0 every token went where it should; 1 a message failed and will be retried; 2 bad usage or configuration; 3 a token email was refused: a person must look.';

/** `sftoken --help`: the commands, each in one line. */
export function overviewHelp(commands: readonly Command[], version: string): string {
  return [
    `sftoken ${version}: keeps Salesforce integrations alive when their security token changes.`,
    '',
    'Usage: sftoken <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => row(`  ${c.usage}`, c.describe)),
    '',
    'Run sftoken <command> --help for its options. Every option also reads SFTOKEN_<OPTION> from the',
    'environment and its key from the --config file. Secrets come from the environment',
    '(SFTOKEN_SF_PASSWORD, SFTOKEN_IMAP_PASSWORD, …) or from references in the config file, never',
    'from the command line.',
    '',
  ].join('\n');
}

/** `sftoken <command> --help`: its options by group, each with its default and environment name. */
export function commandHelp(command: Command): string {
  const out = [`Usage: sftoken ${command.usage} [options]`, '', command.describe, ''];
  if (command.positional) out.push(row(`  <${command.positional.name}..>`, command.positional.describe), '');
  for (const group of command.groups) {
    out.push(GROUPS[group].title);
    if (group === 'common') out.push(row('  --config <file>', 'JSON config file [env: SFTOKEN_CONFIG]'));
    for (const key of GROUPS[group].keys) {
      const o = OPTIONS[key];
      const flag = o.type === 'boolean' ? `  --[no-]${o.flag}` : `  --${o.flag} <${o.type === 'number' ? 'n' : 'value'}>`;
      const choices = o.choices ? ` (${o.choices.join(', ')})` : '';
      out.push(row(flag, `${o.describe}${choices} [default: ${shownDefault(o)}] [env: ${envName(o.flag)}]`));
    }
    out.push('');
  }
  if (command.secrets.length) out.push('Secrets (environment only):', ...command.secrets.map(([name, meaning]) => row(`  ${name}`, meaning)), '');
  out.push('Examples:', ...command.examples.flatMap(([example, meaning]) => [`  ${example.replace('$0', 'sftoken')}`, `      ${meaning}`]), '');
  out.push(...wrap(command.exitCodesHelp ?? EXIT_CODES, 0), '');
  return out.join('\n');
}
