import { readFileSync } from 'node:fs';
import { UsageError, describe, errnoCode } from '../util/errors.js';
import { OPTIONS } from './options.js';

/** The config file as read: a JSON object whose keys are known; values are checked later. */
export type ConfigFile = Readonly<Record<string, unknown>>;

// Keys that only the config file can give: lists, and references to secrets.
const FILE_ONLY_KEYS = ['accounts', 'mailboxes', 'trustedForwarders', 'imapPassword', 'imapAccessToken'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Levenshtein distance: how many single-letter edits turn one key into another. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/** The known key a typo most likely meant, if one is close enough to be a good guess. */
function closest(key: string, known: readonly string[]): string | null {
  const ranked = known.map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) })).sort((a, b) => a.d - b.d);
  const best = ranked[0];
  return best && best.d <= Math.max(2, Math.floor(key.length / 3)) ? best.k : null;
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
