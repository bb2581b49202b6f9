import { LOCALES } from './locales.js';
import { cleanValue, isTokenShaped, isUsernameShaped, normalizedLines } from './text.js';
import type { ExtractedToken } from './types.js';

type ExtractResult = { ok: true; value: ExtractedToken; method: 'labels' | 'structure' } | { ok: false; reason: 'no-token' | 'no-username' | 'ambiguous-token' };

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Lines are normalized first (single spaces), so every optional space is at most one character
// and the patterns stay linear in the length of a line.
function labelPattern(labels: readonly string[]): RegExp {
  // "Label (note): value", where the value may also sit alone on the next line (HTML tables).
  return new RegExp(`^(?:${labels.map(escape).join('|')}) ?(?:\\([^)]*\\) ?)?: ?(.*)$`, 'i');
}

// A label whose parenthesised note wrapped onto the next line: "Security token (case-".
function wrappedLabelPattern(labels: readonly string[]): RegExp {
  return new RegExp(`^(?:${labels.map(escape).join('|')}) ?\\([^)]*$`, 'i');
}

const ALL_LABELS = LOCALES.flatMap((l) => [...l.usernameLabels, ...l.tokenLabels]);
const USERNAME_LABEL = labelPattern(LOCALES.flatMap((l) => l.usernameLabels));
const TOKEN_LABEL = labelPattern(LOCALES.flatMap((l) => l.tokenLabels));
const WRAPPED_LABEL = wrappedLabelPattern(ALL_LABELS);
const ANY_LABEL = /^([^:]{1,80}): ?(.*)$/;

const KNOWN_LABEL = labelPattern(ALL_LABELS);
// A table row whose label cell broke before its note: "Security token <value>" on one line and
// the rest of the label cell, "(case-sensitive):", on the next (html-to-text lays cells side by side).
const LABEL_THEN_VALUE = new RegExp(`^(${ALL_LABELS.map(escape).join('|')}) (\\S+)$`, 'i');
const NOTE_ALONE = /^\([^)]*\) ?:$/;
const LABEL_TEXTS = ALL_LABELS.map((l) => l.toLowerCase());
// A label is a few words: a break inside one is a line or two, never more.
const MAX_LABEL_LINES = 3;

/** Whether `text` could be the start of a known label ("Security", "Security token"). */
function startsALabel(text: string): boolean {
  const t = text.toLowerCase();
  return t !== '' && LABEL_TEXTS.some((l) => l.startsWith(t) || l.replace(/ /g, '').startsWith(t.replace(/ /g, '')));
}

/**
 * Joins a known label that a narrow HTML cell or a wrapping text part broke over lines: inside
 * its note ("Security token (case-" / "sensitive):"), before its note ("Security token" /
 * "(case-sensitive):") or between its words ("Security" / "token (case-sensitive):"). The lines
 * taken into the join become empty, so that line counts stay as they were.
 */
function unwrapLabels(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const next = lines[i + 1];
    if (next !== undefined && WRAPPED_LABEL.test(line)) {
      out.push(`${line} ${next}`, '');
      i++;
      continue;
    }
    const cell = LABEL_THEN_VALUE.exec(line);
    if (cell && next !== undefined && NOTE_ALONE.test(next)) {
      out.push(`${cell[1] ?? ''} ${next} ${cell[2] ?? ''}`, '');
      i++;
      continue;
    }
    let joined: string | null = null;
    let taken = 0;
    if (!KNOWN_LABEL.test(line) && startsALabel(line)) {
      let acc = line;
      for (let k = 1; k < MAX_LABEL_LINES && i + k < lines.length; k++) {
        const more = lines[i + k] ?? '';
        // Words are joined with a space; a script written without spaces (Japanese) without one.
        const candidate = [`${acc} ${more}`, `${acc}${more}`].find((c) => KNOWN_LABEL.test(c));
        if (candidate) {
          joined = candidate;
          taken = k;
          break;
        }
        acc = `${acc} ${more}`;
        if (!startsALabel(acc)) break;
      }
    }
    if (joined === null) out.push(line);
    else {
      out.push(joined, ...Array<string>(taken).fill(''));
      i += taken;
    }
  }
  return out;
}

/** Values that follow a label, in order; for a label alone on its line, the next non-empty line. */
function labelledValues(lines: readonly string[], pattern: RegExp): string[] {
  const values: string[] = [];
  lines.forEach((line, i) => {
    const m = pattern.exec(line);
    if (!m) return;
    const inline = (m[1] ?? '').trim();
    const next = inline || lines.slice(i + 1).find((l) => l !== '') || '';
    values.push(cleanValue(next));
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
  const lines = unwrapLabels(normalizedLines(text));
  return lines.some((line) => TOKEN_LABEL.test(line)) && lines.some((line) => USERNAME_LABEL.test(line));
}

/** `label: value` lines, the value on the next line when the label stands alone (it wrapped). */
function labelledLines(lines: readonly string[]): Array<{ value: string } | null> {
  const out: Array<{ value: string } | null> = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const m = ANY_LABEL.exec(line);
    if (!m) {
      out.push(null);
      continue;
    }
    let value = (m[2] ?? '').trim();
    if (!value) {
      const j = lines.findIndex((l, k) => k > i && l !== '');
      if (j > i && !ANY_LABEL.test(lines[j] ?? '')) {
        value = lines[j] ?? '';
        i = j;
      }
    }
    out.push({ value: cleanValue(value) });
  }
  return out;
}

/** Whether some "label: value" line (in any language) holds a token-shaped value. */
export function hasLabelledToken(text: string): boolean {
  return labelledLines(unwrapLabels(normalizedLines(text))).some((l) => l !== null && isTokenShaped(l.value) && /\d/.test(l.value) && /[A-Za-z]/.test(l.value));
}

/**
 * For languages whose labels are unknown: a username-shaped "label: value" line followed by a
 * token-shaped one (at most one unlabelled line between, where a long label wrapped), exactly
 * once. The pairing keeps stray IDs in other Salesforce emails (Apex errors, flow failures) from
 * passing as tokens.
 */
function byStructure(lines: readonly string[]): ExtractedToken | null {
  const labelled = labelledLines(lines);
  const found: ExtractedToken[] = [];
  for (let k = 0; k < labelled.length; k++) {
    const user = labelled[k]?.value;
    if (!user || !isUsernameShaped(user)) continue;
    const next = labelled[k + 1] ?? labelled[k + 2];
    const token = next?.value;
    if (token && isTokenShaped(token) && /\d/.test(token) && /[A-Za-z]/.test(token)) found.push({ username: user.toLowerCase(), token });
  }
  return found.length === 1 ? (found[0] ?? null) : null;
}

/**
 * Reads the username and token from the text of a token email. The Username line is the truth
 * (sandbox usernames carry a suffix the To address lacks), and Salesforce usernames are
 * case-insensitive, so the username is lower-cased; the token is case-sensitive and kept as is.
 */
export function extractToken(text: string): ExtractResult {
  const lines = unwrapLabels(normalizedLines(text));
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
  const [user] = validUsers;
  const [token] = validTokens;
  if (validUsers.length !== 1 || !user || !token) return { ok: false, reason: 'no-username' };
  return { ok: true, value: { username: user, token }, method: 'labels' };
}
