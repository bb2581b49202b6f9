import type { Fingerprint } from '../util/fingerprint.js';
import type { AppliedToken, RejectedToken } from '../state/ledger.js';

export interface Contender {
  username: string;
  fingerprint: Fingerprint;
  /** The email's Date, or when it was received if it has none. */
  date: Date;
  receivedAt: Date | null;
  sequence: number;
}

/** Apply the token, or leave it for a reason the outcomes table knows. */
export type Selection = { decision: 'apply' } | { decision: 'skip'; reason: 'newer-token' | 'older-than-applied' | 'already-applied' | 'duplicate' | 'already-rejected' };

function newerFirst(a: Contender, b: Contender): number {
  return b.date.getTime() - a.date.getTime() || (b.receivedAt?.getTime() ?? 0) - (a.receivedAt?.getTime() ?? 0) || b.sequence - a.sequence;
}

export interface LedgerView {
  applied(username: string): AppliedToken | undefined;
  rejection(fp: Fingerprint): RejectedToken | undefined;
  /** Whether the applied token still lacks a destination (one added since): it is applied again. */
  lacksDestination?(username: string): boolean;
}

/**
 * Each reset kills the previous token at once, so of several tokens for one username only the
 * newest can work: the others are superseded and never tried, since a login with a dead token
 * counts toward the user's lockout. The ledger adds what earlier runs already applied or refused.
 */
export function select<T extends Contender>(contenders: readonly T[], ledger: LedgerView): Map<T, Selection> {
  const result = new Map<T, Selection>();
  const byUser = new Map<string, T[]>();
  for (const c of contenders) byUser.set(c.username, [...(byUser.get(c.username) ?? []), c]);
  for (const group of byUser.values()) {
    const [newest, ...older] = [...group].sort(newerFirst);
    if (!newest) continue;
    const applied = ledger.applied(newest.username);
    if (applied?.fingerprint === newest.fingerprint) {
      result.set(newest, ledger.lacksDestination?.(newest.username) ? { decision: 'apply' } : { decision: 'skip', reason: 'already-applied' });
    } else if (applied && new Date(applied.emailDate).getTime() > newest.date.getTime()) {
      result.set(newest, { decision: 'skip', reason: 'older-than-applied' });
    } else if (ledger.rejection(newest.fingerprint)) result.set(newest, { decision: 'skip', reason: 'already-rejected' });
    else result.set(newest, { decision: 'apply' });
    for (const old of older) {
      result.set(old, old.fingerprint === newest.fingerprint ? { decision: 'skip', reason: 'duplicate' } : { decision: 'skip', reason: 'newer-token' });
    }
  }
  return result;
}
