import type { Fingerprint } from '../util/fingerprint.js';
import type { AppliedToken, RejectedToken } from '../state/ledger.js';

export interface Contender {
  username: string;
  fingerprint: Fingerprint;
  /** The email's Date as it says (shown, never used to order). */
  date: Date;
  /** When it was sent as far as no one could bend it (mail/order-time.ts): what orders tokens. */
  orderTime: Date;
  /** The receiving side's time (INTERNALDATE, the file's time): the first tie-breaker. */
  receivedAt: Date | null;
  /** The top Received field's time: the next tie-breaker, for saved files whose times agree. */
  receivedHeader?: Date | null;
  /** The UID in its mailbox, or the order of discovery: the last one. */
  sequence: number;
}

/**
 * Try the token in its turn (0 first), or leave it for a reason the outcomes table knows. A turn
 * after the first comes only if every token before it was refused for good: a token that was not
 * proven never supersedes another (DESIGN §2a, item 8).
 */
export type Selection = { decision: 'try'; turn: number } | { decision: 'skip'; reason: 'older-than-applied' | 'already-applied' | 'duplicate' | 'already-rejected' };

/** Newest first by order time; ties go to the receiving side (INTERNALDATE, then Received, then UID). */
function newerFirst(a: Contender, b: Contender): number {
  const time = (d: Date | null | undefined) => d?.getTime() ?? 0;
  return time(b.orderTime) - time(a.orderTime) || time(b.receivedAt) - time(a.receivedAt) || time(b.receivedHeader) - time(a.receivedHeader) || b.sequence - a.sequence;
}

export interface LedgerView {
  applied(username: string): AppliedToken | undefined;
  rejection(fp: Fingerprint): RejectedToken | undefined;
  /** Whether the applied token still lacks a destination (one added since): it is applied again. */
  lacksDestination?(username: string): boolean;
}

/**
 * Each reset kills the previous token at once, so of several tokens for one username only the
 * newest can work, and a login with a dead token counts toward the user's lockout: tokens are
 * tried newest first, one at a time, and an older one only when every newer one was refused for
 * good. The ledger adds what earlier runs already applied or refused: nothing older than the
 * applied token is tried, nor a token refused before.
 */
export function select<T extends Contender>(contenders: readonly T[], ledger: LedgerView): Map<T, Selection> {
  const result = new Map<T, Selection>();
  const byUser = new Map<string, T[]>();
  for (const c of contenders) byUser.set(c.username, [...(byUser.get(c.username) ?? []), c]);
  for (const group of byUser.values()) {
    const applied = ledger.applied(group[0]?.username ?? '');
    const seen = new Set<string>();
    let turn = 0;
    for (const c of [...group].sort(newerFirst)) {
      if (seen.has(c.fingerprint)) {
        result.set(c, { decision: 'skip', reason: 'duplicate' });
        continue;
      }
      seen.add(c.fingerprint);
      if (applied?.fingerprint === c.fingerprint) {
        result.set(c, ledger.lacksDestination?.(c.username) ? { decision: 'try', turn: turn++ } : { decision: 'skip', reason: 'already-applied' });
      } else if (applied && new Date(applied.orderTime ?? applied.emailDate).getTime() > c.orderTime.getTime()) {
        result.set(c, { decision: 'skip', reason: 'older-than-applied' });
      } else if (ledger.rejection(c.fingerprint)) {
        result.set(c, { decision: 'skip', reason: 'already-rejected' });
      } else {
        result.set(c, { decision: 'try', turn: turn++ });
      }
    }
  }
  return result;
}
