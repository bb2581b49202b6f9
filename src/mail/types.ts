/** What the header section alone says: enough to classify a stranger's mail and to judge trust. */
export interface MailHead {
  from: { address: string; name: string } | null;
  subject: string;
  date: Date | null;
  messageId: string | null;
  /** Header lines as received, for the trust policies that read them. */
  headerLines: ReadonlyArray<{ key: string; line: string }>;
}

/** The parts of a parsed message that the stages after parsing look at. */
export interface ParsedEmail extends MailHead {
  /** The text part, or the HTML part rendered to text when there is no text part. */
  text: string;
  /**
   * The HTML part when there is a text part too: read when the text part yields no clean username
   * and token (a text part Outlook made from the HTML, a gateway that mangled it).
   */
  html: string | null;
}

/** A token email after extraction. The token is a secret: it goes to verify and store only. */
export interface ExtractedToken {
  username: string;
  token: string;
}
