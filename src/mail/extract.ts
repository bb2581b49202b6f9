import { LOCALES } from './locales.js';
import { isTokenShaped, isUsernameShaped, normalizedLines } from './text.js';
import type { ExtractedToken } from './types.js';

type ExtractResult =
  | { ok: true; value: ExtractedToken; method: 'labels' | 'structure' }
  | { ok: false; reason: 'no-token' | 'no-username' | 'ambiguous-token' };

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function labelPattern(labels: readonly string[]): RegExp {
  // "Label (note): value", where the value may also sit alone on the next line (HTML tables).
  return new RegExp(`^(?:${labels.map(escape).join('|')})\\s*(?:\\([^)]*\\))?\\s*:\\s*(.*)$`, 'i');
}

const USERNAME_LABEL = labelPattern(LOCALES.flatMap((l) => l.usernameLabels));
const TOKEN_LABEL = labelPattern(LOCALES.flatMap((l) => l.tokenLabels));
const ANY_LABEL = /^([^:]{1,60}):\s*(\S+)$/;

function firstWord(s: string): string {
  return s.split(' ', 1)[0] ?? '';
}

/** Values that follow a label, in order; for a label alone on its line, the next non-empty line. */
function labelledValues(lines: readonly string[], pattern: RegExp): string[] {
  const values: string[] = [];
  lines.forEach((line, i) => {
    const m = pattern.exec(line);
    if (!m) return;
    const inline = (m[1] ?? '').trim();
    const next = inline || lines.slice(i + 1).find((l) => l !== '') || '';
    values.push(firstWord(next));
  });
  return values;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/**
 * Whether the text has the token email's own shape in a known language: a line that starts with
 * a username label and one that starts with a token label. Mail that merely mentions a security
 * token (an INVALID_LOGIN fault quoted in an error email, a help article) has neither line.
 */
export function hasTokenLabels(text: string): boolean {
  const lines = normalizedLines(text);
  return lines.some((line) => TOKEN_LABEL.test(line)) && lines.some((line) => USERNAME_LABEL.test(line));
}

/**
 * For languages whose labels are unknown: a username-shaped "label: value" line directly
 * followed by a token-shaped one, exactly once. The pairing keeps stray IDs in other
 * Salesforce emails (Apex errors, flow failures) from passing as tokens.
 */
function byStructure(lines: readonly string[]): ExtractedToken | null {
  const pairs = lines.map((l) => ANY_LABEL.exec(l)).map((m) => (m ? (m[2] ?? '') : null));
  const found: ExtractedToken[] = [];
  const filled = pairs.map((v, i) => ({ v, i })).filter(({ i }) => lines[i] !== '');
  for (let k = 0; k + 1 < filled.length; k++) {
    const user = filled[k]?.v;
    const token = filled[k + 1]?.v;
    if (user && token && isUsernameShaped(user) && isTokenShaped(token) && /\d/.test(token) && /[A-Za-z]/.test(token)) {
      found.push({ username: user.toLowerCase(), token });
    }
  }
  return found.length === 1 ? (found[0] ?? null) : null;
}

/**
 * Reads the username and token from the text of a token email. The Username line is the truth
 * (sandbox usernames carry a suffix the To address lacks), and Salesforce usernames are
 * case-insensitive, so the username is lower-cased; the token is case-sensitive and kept as is.
 */
export function extractToken(text: string): ExtractResult {
  const lines = normalizedLines(text);
  const tokens = unique(labelledValues(lines, TOKEN_LABEL));
  const usernames = unique(labelledValues(lines, USERNAME_LABEL).map((u) => u.toLowerCase()));
  if (tokens.length === 0 && usernames.length === 0) {
    const structural = byStructure(lines);
    return structural ? { ok: true, value: structural, method: 'structure' } : { ok: false, reason: 'no-token' };
  }
  const validTokens = tokens.filter(isTokenShaped);
  if (validTokens.length === 0) return { ok: false, reason: 'no-token' };
  if (validTokens.length > 1) return { ok: false, reason: 'ambiguous-token' };
  const validUsers = usernames.filter(isUsernameShaped);
  if (validUsers.length !== 1) return { ok: false, reason: 'no-username' };
  return { ok: true, value: { username: validUsers[0] as string, token: validTokens[0] as string }, method: 'labels' };
}
