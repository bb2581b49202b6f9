/**
 * The labels and subjects of the token email in the languages whose text is public (DESIGN §4):
 * the one place a language is added. Other languages fall back to the structure of the email
 * (see extract.ts). Labels are matched after normalising full-width colons and parentheses, and
 * may carry a parenthesised note.
 */
interface Locale {
  readonly language: string;
  readonly usernameLabels: readonly string[];
  readonly tokenLabels: readonly string[];
  /**
   * Words a token email's subject contains, after gateway tags and forward prefixes are
   * removed. Matched case-insensitively, any run of spaces for a space (and an optional space
   * between words of a script written without them); also sent to the IMAP server as they are.
   */
  readonly subjectPhrases: readonly string[];
}

export const LOCALES: readonly Locale[] = [
  {
    language: 'en',
    usernameLabels: ['username', 'user name'],
    tokenLabels: ['security token'],
    subjectPhrases: ['security token'],
  },
  {
    language: 'ja',
    usernameLabels: ['ユーザ名', 'ユーザー名'],
    tokenLabels: ['セキュリティトークン'],
    subjectPhrases: ['セキュリティ トークン'],
  },
];

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Latin words need a boundary ("security tokens" is fine, "insecurity" is not); Japanese words
// are written without spaces, so a space in a phrase there means an optional one.
function phrasePattern(phrase: string): RegExp {
  const latin = /^[\x20-\x7e]+$/.test(phrase);
  const body = phrase.split(' ').map(escape).join(latin ? '\\s+' : '\\s*');
  return new RegExp(latin ? `\\b${body}\\b` : body, 'i');
}

const SUBJECT_PATTERNS = LOCALES.flatMap((l) => l.subjectPhrases.map(phrasePattern));

/** Whether a (normalized) subject is a token email's subject in a known language. */
export function isTokenSubject(subject: string): boolean {
  return SUBJECT_PATTERNS.some((p) => p.test(subject));
}

/** The subject substrings an IMAP SEARCH can ask for: each phrase as it is usually written. */
export function subjectSearchTerms(): string[] {
  return LOCALES.flatMap((l) => l.subjectPhrases.map((p) => (/^[\x20-\x7e]+$/.test(p) ? p : p.replace(/ /g, ''))));
}
