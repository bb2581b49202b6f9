/** The parts of a parsed message that the stages after parsing look at. */
export interface ParsedEmail {
  from: { address: string; name: string } | null;
  subject: string;
  date: Date | null;
  messageId: string | null;
  /** The text part, or the HTML part rendered to text when there is no text part. */
  text: string;
  /** Header lines as received, for the trust policies that read them. */
  headerLines: ReadonlyArray<{ key: string; line: string }>;
}

/** A token email after extraction. The token is a secret: it goes to verify and store only. */
export interface ExtractedToken {
  username: string;
  token: string;
}
