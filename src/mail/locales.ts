/**
 * The labels of the token email in the languages whose text is public (DESIGN §4). Other
 * languages fall back to the structure of the email (see extract.ts). Labels are matched after
 * normalising full-width colons and parentheses, and may carry a parenthesised note.
 */
export interface Locale {
  readonly language: string;
  readonly usernameLabels: readonly string[];
  readonly tokenLabels: readonly string[];
  /** Subject fragments of a token email, after gateway tags and forward prefixes are removed. */
  readonly subjectMarkers: readonly RegExp[];
}

export const LOCALES: readonly Locale[] = [
  {
    language: 'en',
    usernameLabels: ['username', 'user name'],
    tokenLabels: ['security token'],
    subjectMarkers: [/\bsecurity token\b/i],
  },
  {
    language: 'ja',
    usernameLabels: ['ユーザ名', 'ユーザー名'],
    tokenLabels: ['セキュリティトークン'],
    subjectMarkers: [/セキュリティ\s*トークン/],
  },
];
