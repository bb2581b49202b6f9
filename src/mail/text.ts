// Characters that HTML renderers and mail gateways put inside long words (zero-width space and
// joiners, soft hyphen, word joiner, BOM): invisible to a reader, but they split a token in two.
const INVISIBLE = /[\u00AD\u200B-\u200D\u2060\uFEFF]/g;

/**
 * Folds the ways one label line can be written into one form, line by line: invisible characters
 * removed, every run of Unicode whitespace (no-break, narrow, ideographic, tabs, form feeds) one
 * space, full-width colons and parentheses made ASCII, quote marks of a forward dropped. Each
 * step is a single linear pass, so no later pattern meets a long run of odd whitespace.
 */
export function normalizedLines(text: string): string[] {
  return text
    .replace(INVISIBLE, '')
    .replace(/\uFF1A/g, ':')
    .replace(/\uFF08/g, '(')
    .replace(/\uFF09/g, ')')
    .split(/\r\n|\r|\n/)
    .map((line) =>
      line
        .replace(/\s+/g, ' ')
        .replace(/^(?: ?>)+/, '')
        .trim(),
    );
}

// Salesforce tokens are case-sensitive alphanumerics, 24 or 25 long in every sample seen; the
// range leaves room for a change of length without accepting words or IDs (15/18) or hashes.
const TOKEN_MIN_LENGTH = 20;
const TOKEN_MAX_LENGTH = 32;
const TOKEN_SHAPE = new RegExp(`^[A-Za-z0-9]{${TOKEN_MIN_LENGTH},${TOKEN_MAX_LENGTH}}$`);
// No control or format characters: an escape sequence in a username would reach logs and terminals.
const USERNAME_SHAPE = /^[^\s@<>()[\]\\,;:"\p{Cc}\p{Cf}]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/u;

export function isTokenShaped(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}

export function isUsernameShaped(value: string): boolean {
  return USERNAME_SHAPE.test(value);
}

const MAX_VALUE_LENGTH = 320;

/**
 * A value as written after its label, cleaned of what surrounds it in real mail: an Outlook
 * `<mailto:…>` after an address, brackets or quotes around it, punctuation after it.
 */
export function cleanValue(raw: string): string {
  let value = raw.split(' ', 1)[0] ?? '';
  // No username or token is this long: a longer word is not worth cleaning, only refusing.
  if (value.length > MAX_VALUE_LENGTH) return '';
  for (let before = ''; before !== value;) {
    before = value;
    value = value
      .replace(/[.,;:!?)"'»\]。、]+$/, '')
      .replace(/<mailto:[^>]*>$/i, '')
      .replace(/^[("'«<[]+/, '')
      .replace(/>$/, '');
  }
  return value;
}
