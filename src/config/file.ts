import { readFileSync } from 'node:fs';
import { UsageError, describe, errnoCode } from '../util/errors.js';
import { closest } from '../util/suggest.js';
import { OPTIONS } from './options.js';

/** The config file as read: a JSON object whose keys are known; values are checked later. */
export type ConfigFile = Readonly<Record<string, unknown>>;

// Keys that only the config file can give: lists, and references to secrets.
const FILE_ONLY_KEYS = ['accounts', 'mailboxes', 'trustedForwarders', 'imapPassword', 'imapAccessToken'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
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
    throw new UsageError(`config file ${path} is not valid JSON: ${describe(err)}`);
  }
  if (!isObject(data)) throw new UsageError(`config file ${path} must hold a JSON object`);
  const known = [...Object.keys(OPTIONS), ...FILE_ONLY_KEYS];
  for (const key of Object.keys(data)) {
    if (known.includes(key)) continue;
    const guess = closest(key, known);
    throw new UsageError(`config file ${path}: unknown key "${key}"${guess ? `; did you mean "${guess}"?` : ''}`);
  }
  return data;
}
