/** One message as a source hands it over: bytes on demand, plus where it came from. */
export interface RawMessage {
  /** The file path as given, or imap:<mailbox>/<uidvalidity>/<uid>. */
  source: string;
  /** File mtime or IMAP INTERNALDATE: the tie-breaker after the email's own Date. */
  receivedAt: Date | null;
  /** Position in the source (UID, or order of discovery): the last tie-breaker. */
  sequence: number;
  /** Size in bytes when the source knows it before reading, so oversize mail is never read. */
  size: number | null;
  load(): Promise<Buffer>;
}
