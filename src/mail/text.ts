/**
 * Folds the ways one label line can be written (full-width punctuation from Japanese templates,
 * non-breaking spaces from HTML, quote marks from a forward) into one form, line by line.
 */
export function normalizedLines(text: string): string[] {
  return text
    .replace(/\uFF1A/g, ':')
    .replace(/\uFF08/g, '(')
    .replace(/\uFF09/g, ')')
    .replace(/[\u00A0\u2000-\u200B\u3000\uFEFF]/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.replace(/^(?:\s*>)+/, '').replace(/[ \t]+/g, ' ').trim());
}

// Salesforce tokens are case-sensitive alphanumerics, 24 or 25 long in every sample seen; the
// range leaves room for a change of length without accepting words or IDs (15/18) or hashes.
const TOKEN_MIN_LENGTH = 20;
const TOKEN_MAX_LENGTH = 32;
const TOKEN_SHAPE = new RegExp(`^[A-Za-z0-9]{${TOKEN_MIN_LENGTH},${TOKEN_MAX_LENGTH}}$`);
const USERNAME_SHAPE = /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;

export function isTokenShaped(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}

export function isUsernameShaped(value: string): boolean {
  return USERNAME_SHAPE.test(value);
}
