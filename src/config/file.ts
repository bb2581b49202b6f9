import { readFileSync } from 'node:fs';
import { UsageError, describe, errnoCode } from '../util/errors.js';
import { closest } from '../util/suggest.js';
import { OPTIONS } from './options.js';

/** The config file as read: a JSON object whose keys are known; values are checked later. */
export type ConfigFile = Readonly<Record<string, unknown>>;

// Keys that only the config file can give: lists, and references to secrets.
const FILE_ONLY_KEYS = ['accounts', 'mailboxes', 'trustedForwarders', 'imapPassword', 'imapAccessToken', 'healthToken', 'loginPathEnds'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** An unknown key in the config file (at `origin`), with the known key it most likely meant. */
export function unknownKey(origin: string, key: string, known: readonly string[]): UsageError {
  const guess = closest(key, known);
  return new UsageError(`${origin}: unknown key "${key}"${guess ? `; did you mean "${guess}"?` : ''}`);
}

/**
 * Where JSON.parse stopped, as line and column: Node 20 says only "at position N", and a person
 * editing the file counts lines, not bytes.
 */
function jsonProblem(text: string, err: unknown): string {
  const message = describe(err).split('\n')[0] ?? 'unreadable';
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position === undefined || /line \d+ column \d+/.test(message)) return message;
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  const column = Number(position) - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*$/, '').replace(/ at position \d+.*$/, '')} at line ${line}, column ${column}`;
}

/** Reads the JSON config file; any problem is one line naming the file. */
export function loadConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read config file ${path}: ${errnoCode(err) ?? describe(err)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid JSON: ${jsonProblem(text, err)}`);
  }
  if (!isObject(data)) throw new UsageError(`config file ${path} must hold a JSON object`);
  const known = [...Object.keys(OPTIONS), ...FILE_ONLY_KEYS];
  for (const key of Object.keys(data)) {
    if (known.includes(key)) continue;
    throw unknownKey(`config file ${path}`, key, known);
  }
  return data;
}
