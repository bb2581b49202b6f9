import type { Outcome } from '../pipeline/outcomes.js';
import type { Handled, MessageRecord } from '../pipeline/types.js';

/**
 * The NDJSON contract of DESIGN §2, these keys in this order, plus `verified` on stored records
 * so that a script can tell a proven token from one stored with --no-verify.
 */
export function toJson(r: MessageRecord): string {
  const { outcome, reason, username, fingerprint, messageId, date, source, verified } = r;
  return JSON.stringify({ outcome, reason, username, fingerprint, messageId, date, source, verified });
}

const OUTCOME_WIDTH = 11;

/** One line for a person: outcome, source, who and which token, and why. */
export function toText(r: MessageRecord): string {
  const who = [r.username, r.fingerprint].filter(Boolean).join(' ');
  const why = [r.reason, r.note].filter(Boolean).join(': ');
  return [r.outcome.padEnd(OUTCOME_WIDTH), r.source, who, why ? `(${why})` : ''].filter(Boolean).join('  ');
}

/** The handled message with one more thing said of it, after what its record already says. */
export function noted(h: Handled, more: string): Handled {
  return { ...h, record: { ...h.record, note: h.record.note ? `${h.record.note}; ${more}` : more } };
}

export function summarize(records: readonly MessageRecord[]): Partial<Record<Outcome, number>> {
  const counts: Partial<Record<Outcome, number>> = {};
  for (const r of records) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  return counts;
}
