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
   * Words every token email's subject contains: what the IMAP server is asked to search for, as
   * written (a space between words of a script written without them is dropped there).
   */
  readonly subjectPhrases: readonly string[];
  /**
   * The whole shape of a token email's subject, after gateway tags and forward prefixes are
   * removed. Salesforce's other mail quotes the same words ("INVALID_LOGIN: Invalid username,
   * password, security token; or user locked out."), so the words alone are not enough.
   */
  readonly subjectShapes: ReadonlyArray<(subject: string) => boolean>;
}

export const LOCALES: readonly Locale[] = [
  {
    language: 'en',
    usernameLabels: ['username', 'user name'],
    tokenLabels: ['security token'],
    subjectPhrases: ['security token'],
    // "Your new Salesforce security token", a branded "Your new <Brand> security token", and the
    // old "salesforce.com security token confirmation". Each test is one linear scan.
    subjectShapes: [(s) => /\bsecurity token$/i.test(s) && /\bnew\b/i.test(s), (s) => /\bsecurity token confirmation$/i.test(s)],
  },
  {
    language: 'ja',
    usernameLabels: ['ユーザ名', 'ユーザー名'],
    tokenLabels: ['セキュリティトークン'],
    subjectPhrases: ['セキュリティ トークン'],
    subjectShapes: [(s) => /セキュリティ ?トークン$/.test(s)],
  },
];

const SUBJECT_SHAPES = LOCALES.flatMap((l) => l.subjectShapes);

/** Whether a subject (normalized: gateway tags gone, whitespace single) is a token email's. */
export function isTokenSubject(subject: string): boolean {
  return SUBJECT_SHAPES.some((shape) => shape(subject));
}

/** The subject substrings an IMAP SEARCH can ask for: each phrase as it is usually written. */
export function subjectSearchTerms(): string[] {
  return LOCALES.flatMap((l) => l.subjectPhrases.map((p) => (/^[\x20-\x7e]+$/.test(p) ? p : p.replace(/ /g, ''))));
}
