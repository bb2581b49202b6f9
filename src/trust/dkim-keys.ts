import { readFileSync } from 'node:fs';
import { UsageError, errnoCode } from '../util/errors.js';

/** `<selector>._domainkey.<domain>` → TXT value, from a --dkim-keys file. */
export type DkimKeys = ReadonlyMap<string, string>;

/**
 * One key per line, `<selector>._domainkey.<domain> <TXT value>`; blank lines and # comments are
 * skipped. A malformed line is a configuration error that names its line number.
 */
export function parseDkimKeys(text: string, origin: string): DkimKeys {
  const keys = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([A-Za-z0-9_.-]+\._domainkey\.[A-Za-z0-9.-]+)\.?\s+(.+)$/.exec(line);
    const value = m?.[2]?.replace(/^"|"$/g, '').replace(/"\s*"/g, '');
    if (!m || !value || !/\bp=/.test(value)) {
      throw new UsageError(`${origin}, line ${i + 1}: expected "<selector>._domainkey.<domain> <TXT value with p=…>"`);
    }
    keys.set((m[1] as string).toLowerCase().replace(/\.$/, ''), value);
  });
  return keys;
}

/** The --dkim-keys file, read once: its text (part of the trust settings' identity) and its keys. */
export function loadDkimKeys(path: string): { text: string; keys: DkimKeys } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --dkim-keys ${path}: ${errnoCode(err) ?? String(err)}`);
  }
  return { text, keys: parseDkimKeys(text, `--dkim-keys ${path}`) };
}

/** The domain a key name belongs to: what follows `._domainkey.`. */
export function keyDomain(name: string): string {
  return name.slice(name.indexOf('._domainkey.') + '._domainkey.'.length);
}
