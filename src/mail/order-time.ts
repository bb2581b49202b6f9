/**
 * When a token email was sent, as far as its sender could not have bent it (DESIGN §2, Order).
 * Only the newest token of a user can work, so this time decides which token is tried and which
 * is superseded: a header anyone can add above a genuine signed message must not decide it.
 */
import type { MailHead } from './types.js';

/** Fields RFC 5322 §3.6 allows once: a second copy above a signed message is how one is forged. */
const SINGLETONS = ['date', 'from', 'sender', 'reply-to', 'to', 'cc', 'message-id', 'subject'];

/** The first field that may appear once and appears more than once, if any. */
export function repeatedSingleton(head: Pick<MailHead, 'headerLines'>): string | null {
  const seen = new Set<string>();
  for (const { key } of head.headerLines) {
    const name = key.toLowerCase();
    if (!SINGLETONS.includes(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}

// Clocks disagree a little (a sending server's, the receiving one's, this host's); beyond this a
// date in the future was written, not measured.
export const FUTURE_SKEW_MS = 15 * 60 * 1000;
// Before this no Salesforce security token email existed: a date this old is a broken or forged header.
const EARLIEST_PLAUSIBLE = Date.UTC(2000, 0, 1);

/** Whether a date an email carries could be true: not in the future beyond skew, not absurdly old. */
export function implausible(date: Date | null, now: Date): 'future' | 'ancient' | null {
  if (!date) return null;
  if (date.getTime() > now.getTime() + FUTURE_SKEW_MS) return 'future';
  if (date.getTime() < EARLIEST_PLAUSIBLE) return 'ancient';
  return null;
}

/**
 * The date in the topmost Received field: added by the last server that took the message, the
 * receiving side's own. Null when there is none or it does not parse.
 */
export function topReceived(head: Pick<MailHead, 'headerLines'>): Date | null {
  const line = head.headerLines.find((h) => h.key.toLowerCase() === 'received')?.line;
  if (!line) return null;
  const semicolon = line.lastIndexOf(';');
  if (semicolon < 0) return null;
  const date = new Date(
    line
      .slice(semicolon + 1)
      .replace(/\s+/g, ' ')
      .trim(),
  );
  return Number.isNaN(date.getTime()) ? null : date;
}

export interface OrderInputs {
  /** The trusted DKIM signature's t=: signed, so no one who lacks the key can move it. */
  signedAt: Date | null;
  date: Date | null;
  /** The receiving side: IMAP INTERNALDATE, or the file's time. */
  receivedAt: Date | null;
  receivedHeader: Date | null;
}

/**
 * The signature's time when there is one; otherwise the earliest of what the email and the
 * receiving side say, for a forger can only ever make a copy older that way. Never later than now.
 */
export function orderTime(inputs: OrderInputs, now: Date): Date {
  const candidates = inputs.signedAt ? [inputs.signedAt] : [inputs.date, inputs.receivedAt, inputs.receivedHeader].filter((d): d is Date => d !== null);
  const earliest = candidates.length ? Math.min(...candidates.map((d) => d.getTime())) : now.getTime();
  return new Date(Math.min(earliest, now.getTime()));
}
