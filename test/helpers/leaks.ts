import { fingerprint } from '../../src/util/fingerprint.js';
import { fixtureIndex } from './fixtures.js';

/**
 * Finds tokens in text without knowing them: every token-shaped stretch of every alphanumeric
 * run is fingerprinted and compared with the fingerprints the fixture index lists, plus any
 * extra secrets given. A token glued to other letters is caught too.
 */
export function leakedSecrets(text: string, extra: readonly string[] = []): string[] {
  const known = new Set(fixtureIndex().flatMap((f) => (f.fingerprint ? [f.fingerprint] : [])));
  const leaks: string[] = [];
  for (const run of text.match(/[A-Za-z0-9]{20,}/g) ?? []) {
    for (let start = 0; start + 20 <= run.length; start++) {
      for (let len = 20; len <= 32 && start + len <= run.length; len++) {
        const candidate = run.slice(start, start + len);
        if (known.has(fingerprint(candidate))) leaks.push(candidate);
      }
    }
  }
  return [...leaks, ...extra.filter((s) => text.includes(s))];
}
